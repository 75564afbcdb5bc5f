"""Sales history: per member, store and date, the totals and optionally the lines.

A sale's lines are consecutive rows with the same ``id_externo`` (the header cells on its
first row; ``sku``, ``quantidade`` and ``valor_item`` on each). An imported sale is marked as
such (terminal ``IMPORT``, ids ``I:<id_externo>``, ``reprice_detail.imported``): it earns
nothing (no ledger entry is made), no till ever receives it (sales are not in the tills'
feeds), and it counts where sales count at head office: RFM segments, value classes, lifetime
value and the tiers' qualifying spend. A sale is a fact: one already imported is unchanged by
a re-import of the same total and rejected with another one, in both modes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from loyalty.money import CENT

from ...models import RepriceStatus, Sale, SaleLine
from . import fields
from .copy import write_rows
from .errors import RowError
from .kinds import Action, Context, Decision
from .lookups import MemberRef, chunks
from .source import Line

TERMINAL = "IMPORT"
SALE_PREFIX = "I:"
_ZERO = Decimal(0)


def sale_id_for(external_id: str) -> str:
    return SALE_PREFIX + external_id


@dataclass
class SaleRow:
    ext: str
    key: tuple[str, str] | None
    store: str
    at: dt.datetime
    total: Decimal
    subtotal: Decimal
    discount: Decimal
    lines: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # sku, qty, amount


class SalesImporter:
    required = ("id_externo", "loja", "data", "total")
    aliases = {
        "external_id": "id_externo",
        "store": "loja",
        "date": "data",
        "data_venda": "data",
        "member_external_id": "cliente_id_externo",
        "cliente": "cliente_id_externo",
        "discount": "desconto",
        "quantity": "quantidade",
        "qtd": "quantidade",
        "line_amount": "valor_item",
        "valor_linha": "valor_item",
        "produto": "sku",
        "codigo_produto": "sku",
    }

    @staticmethod
    def group(line: Line) -> str:
        return line.cells.get("id_externo", "")

    def parse(self, ctx: Context, group: Sequence[Line]) -> SaleRow:
        c = group[0].cells
        ext = c.get("id_externo", "")
        if not ext:
            raise RowError("missing_field", "{column} is empty", column="id_externo")
        fields.text_cell(ext, "id_externo", 100)
        store = c.get("loja", "")
        if not store:
            raise RowError("missing_field", "{column} is empty", column="loja")
        if store not in ctx.stores:
            raise RowError(
                "unknown_store", "store {store} does not exist (create it first)", store=store
            )
        if not c.get("data"):
            raise RowError("missing_field", "{column} is empty", column="data")
        at = fields.moment(c["data"], "data", ctx.zone)
        if at > ctx.now:
            raise RowError(
                "bad_date", "{column}: {value} is in the future", column="data", value=c["data"]
            )
        if not c.get("total"):
            raise RowError("missing_field", "{column} is empty", column="total")
        total = fields.money(c["total"], "total")
        discount = fields.money(c["desconto"], "desconto") if c.get("desconto") else _ZERO
        subtotal = (
            fields.money(c["subtotal"], "subtotal") if c.get("subtotal") else total + discount
        )
        if total < 0 or discount < 0 or subtotal - discount != total:
            raise RowError(
                "bad_totals",
                "subtotal {subtotal} minus desconto {discount} is not total {total}",
                subtotal=f"{subtotal:f}",
                discount=f"{discount:f}",
                total=f"{total:f}",
            )
        row = SaleRow(ext, MemberRef.key(ctx, c), store, at, total, subtotal, discount)
        for line in group:
            lc = line.cells
            if not (lc.get("sku") or lc.get("quantidade") or lc.get("valor_item")):
                continue
            if not lc.get("sku"):
                raise RowError("missing_field", "{column} is empty", column="sku")
            qty = fields.quantity(lc.get("quantidade") or "1", "quantidade")
            if not lc.get("valor_item"):
                raise RowError("missing_field", "{column} is empty", column="valor_item")
            amount = fields.money(lc["valor_item"], "valor_item")
            row.lines.append((fields.text_cell(lc["sku"], "sku", 64), qty, amount))
        if row.lines and sum((a for _, _, a in row.lines), _ZERO) != subtotal:
            raise RowError(
                "bad_totals",
                "the lines add up to {lines}, not subtotal {subtotal}",
                lines=f"{sum((a for _, _, a in row.lines), _ZERO):f}",
                subtotal=f"{subtotal:f}",
            )
        return row

    def decide(self, ctx: Context, lines: Sequence[Line]) -> list[Decision]:
        groups: list[list[Line]] = []
        for line in lines:
            if groups and self.group(groups[-1][-1]) == self.group(line) and self.group(line):
                groups[-1].append(line)
            else:
                groups.append([line])
        parsed: list[SaleRow | Decision] = []
        for g in groups:
            try:
                parsed.append(self.parse(ctx, g))
            except RowError as exc:
                parsed.append(ctx.reject(g[0], exc.code, exc.message, **exc.values))
        good = [p for p in parsed if isinstance(p, SaleRow)]
        members = MemberRef.resolve(ctx, [p.key for p in good if p.key is not None])
        stored = _stored_totals(ctx, [sale_id_for(p.ext) for p in good])
        out: list[Decision] = []
        for g, p in zip(groups, parsed, strict=True):
            if isinstance(p, Decision):
                out.append(p)
                continue
            member = members.get(p.key) if p.key is not None else None
            if p.key is not None and member is None:
                out.append(
                    ctx.reject(
                        g[0],
                        "unknown_member",
                        "no member with {key}",
                        key=MemberRef.describe(p.key),
                    )
                )
                continue
            sid = sale_id_for(p.ext)
            before = stored.get(sid, ctx.seen.state.get("sale:" + sid))
            if before is not None:
                if before == (member, p.total):
                    out.append(Decision(g[0], Action.UNCHANGED))
                else:
                    out.append(
                        ctx.reject(
                            g[0],
                            "duplicate_external_id",
                            "external id {ext} was already imported with other data (member {member})",
                            ext=p.ext,
                            member=before[0] or "-",
                        )
                    )
                continue
            ctx.seen.state["sale:" + sid] = (member, p.total)
            out.append(Decision(g[0], Action.CREATE, (member, p)))
        return out

    def write(self, ctx: Context, decisions: Sequence[Decision]) -> None:
        sales: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        detail = {"imported": True, "run": ctx.run_id}
        for d in decisions:
            if d.action is not Action.CREATE:
                continue
            member, p = d.payload
            sid = sale_id_for(p.ext)
            sales.append(
                {
                    "sale_id": sid,
                    "event_id": sid,
                    "store_id": p.store,
                    "terminal_id": TERMINAL,
                    "member_id": member,
                    "occurred_at": p.at,
                    "currency": "BRL",
                    "subtotal": p.subtotal,
                    "discount_total": p.discount,
                    "total": p.total,
                    "reprice_status": RepriceStatus.NOT_CHECKED,
                    "reprice_detail": detail,
                    "recorded_at": ctx.now,
                    "member_context": None,
                    "coupon_codes": None,
                }
            )
            for n, (sku, qty, amount) in enumerate(p.lines, start=1):
                lines.append(
                    {
                        "sale_id": sid,
                        "line_no": n,
                        "sku": sku,
                        "category_id": None,
                        "quantity": qty,
                        "unit_price": (amount / qty).quantize(CENT),
                        "gross": amount,
                        "discount": _ZERO,
                        "net": amount,
                        "brand": None,
                        "tags": None,
                    }
                )
        write_rows(ctx.session, Sale.__table__, sales)
        write_rows(ctx.session, SaleLine.__table__, lines)


def _stored_totals(ctx: Context, sale_ids: list[str]) -> dict[str, tuple[str | None, Decimal]]:
    t = Sale.__table__
    out: dict[str, tuple[str | None, Decimal]] = {}
    for part in chunks(sorted(set(sale_ids))):
        stmt = select(t.c.sale_id, t.c.member_id, t.c.total).where(t.c.sale_id.in_(part))
        out.update({r.sale_id: (r.member_id, r.total) for r in ctx.session.execute(stmt)})
    return out
