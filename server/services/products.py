"""Load the product catalogue (sku, name, category, brand) from a CSV file; it syncs to agents.

The file is read whole and checked before anything is written: one bad row rejects the file,
with every bad row's line number, and the database is left as it was. Rows that change nothing
keep their change number, so re-importing the same file sends agents nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from loyalty.errors import LoyaltyError

from ..models import Category, Product
from .uow import SqlUnitOfWork

COLUMNS = ("sku", "name", "category", "brand")
OPTIONAL = ("active",)
_LIMITS = {"sku": 64, "name": 200, "category": 64, "brand": 100}
_TRUE = {"1", "true", "yes", "sim", "s", "y"}
_FALSE = {"0", "false", "no", "nao", "não", "n"}
_MAX_LISTED = 20


class ProductImportError(LoyaltyError):
    """The catalogue file was rejected; ``problems`` lists ``(line, message_en, message_pt)``."""

    code = "invalid_products"

    def __init__(self, problems: Sequence[tuple[int, str, str]]) -> None:
        self.problems = list(problems)
        shown = self.problems[:_MAX_LISTED]
        more = len(self.problems) - len(shown)
        en = "; ".join(f"line {n}: {m}" for n, m, _ in shown)
        pt = "; ".join(f"linha {n}: {m}" for n, _, m in shown)
        if more:
            en += f"; and {more} more"
            pt += f"; e mais {more}"
        super().__init__(
            f"product file rejected, nothing imported: {en}",
            f"arquivo de produtos rejeitado, nada importado: {pt}",
        )


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    category: str | None = None
    brand: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def parse_products_csv(data: bytes) -> list[ProductRow]:
    """Rows of a UTF-8 CSV with the header ``sku,name,category,brand`` (optional ``active``).

    :raises ProductImportError: not UTF-8, a wrong header, or bad rows (all of them listed).
    """
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often write a BOM
    except UnicodeDecodeError as exc:
        raise ProductImportError(
            [(text_line(data, exc.start), "not UTF-8 text", "texto não está em UTF-8")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ProductImportError([(1, "the file is empty", "o arquivo está vazio")])
    names = [h.strip().lower() for h in header]
    if names[:4] != list(COLUMNS) or any(n not in OPTIONAL for n in names[4:]):
        got = ",".join(header)
        raise ProductImportError(
            [
                (
                    1,
                    f"header must be sku,name,category,brand[,active], got {got!r}",
                    f"cabeçalho deve ser sku,name,category,brand[,active], veio {got!r}",
                )
            ]
        )
    rows: list[ProductRow] = []
    problems: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank line
        if len(fields) != len(names):
            problems.append(
                (
                    line,
                    f"expected {len(names)} columns, got {len(fields)}",
                    f"esperava {len(names)} colunas, veio {len(fields)}",
                )
            )
            continue
        row, bad = _row(dict(zip(names, fields, strict=True)))
        if bad:
            problems.extend((line, en, pt) for en, pt in bad)
            continue
        assert row is not None
        if row.sku in seen:
            problems.append(
                (
                    line,
                    f"SKU {row.sku!r} repeats line {seen[row.sku]}",
                    f"SKU {row.sku!r} repete a linha {seen[row.sku]}",
                )
            )
            continue
        seen[row.sku] = line
        rows.append(row)
    if problems:
        raise ProductImportError(problems)
    return rows


def text_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _row(raw: dict[str, str]) -> tuple[ProductRow | None, list[tuple[str, str]]]:
    bad: list[tuple[str, str]] = []
    values = {k: raw[k].strip() for k in COLUMNS}
    sku = values["sku"]
    if not sku:
        bad.append(("sku is empty", "sku está vazio"))
    elif any(c.isspace() for c in sku) or not sku.isprintable():
        bad.append((f"sku {sku!r} has spaces or control characters", f"sku {sku!r} tem espaços"))
    if not values["name"]:
        bad.append((f"name of SKU {sku!r} is empty", f"nome do SKU {sku!r} está vazio"))
    for key, limit in _LIMITS.items():
        if len(values[key]) > limit:
            bad.append(
                (
                    f"{key} is longer than {limit} characters: {values[key][:40]!r}…",
                    f"{key} tem mais de {limit} caracteres: {values[key][:40]!r}…",
                )
            )
    active = True
    flag = raw.get("active", "").strip().lower()
    if flag in _FALSE:
        active = False
    elif flag and flag not in _TRUE:
        bad.append(
            (f"active must be 1/0, true/false or sim/não: {flag!r}", f"active inválido: {flag!r}")
        )
    if bad:
        return None, bad
    return (
        ProductRow(
            sku=sku,
            name=values["name"],
            category=values["category"] or None,
            brand=values["brand"] or None,
            active=active,
        ),
        [],
    )


def import_products(
    uow: SqlUnitOfWork, rows: Iterable[ProductRow], *, actor: str = "cli"
) -> ImportResult:
    """Create or update ``rows`` in one transaction; unknown categories are created by id.

    Products absent from ``rows`` are left as they are (deactivate them with ``active=0``).
    """
    rows = list(rows)
    created = updated = 0
    with uow:
        session = uow.session
        existing = {p.sku: p for p in session.scalars(select(Product))}
        known = set(session.scalars(select(Category.id)))
        for category in sorted({r.category for r in rows if r.category} - known):
            session.add(Category(id=category, name=category))
        session.flush()  # categories first: products reference them
        for row in rows:
            product = existing.get(row.sku)
            if product is None:
                session.add(
                    Product(
                        sku=row.sku,
                        name=row.name,
                        category_id=row.category,
                        brand=row.brand,
                        active=row.active,
                    )
                )
                created += 1
                continue
            wanted = (row.name, row.category, row.brand, row.active)
            if (product.name, product.category_id, product.brand, product.active) == wanted:
                continue
            product.name, product.category_id, product.brand, product.active = wanted
            updated += 1
        result = ImportResult(created, updated, len(rows) - created - updated)
        uow.audit(
            "admin",
            actor,
            "products.import",
            "product",
            "*",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
        uow.commit()
    return result
