"""The product catalogue: CSV import (all or nothing), change tracking, pull and snapshot."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from server.models import Category, Product
from server.services.products import (
    ProductImportError,
    ProductRow,
    import_products,
    parse_products_csv,
)
from server.services.uow import SqlUnitOfWork
from tillclub.cli import main

from .conftest import Till

GOOD = (
    "\ufeffsku,name,category,brand\n"
    "7891000100103,Café Torrado Pilão 500g,mercearia,Pilão\n"
    '7891910000197,"Açúcar Refinado, União 1kg",mercearia,União\n'
    "\n"
    "7894900011517,Refrigerante Coca-Cola 2L,bebidas,\n"
).encode()


def _import(app: Flask, data: bytes) -> object:
    return import_products(SqlUnitOfWork.for_app(app), parse_products_csv(data))


def _products(app: Flask) -> dict[str, tuple[object, ...]]:
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        return {
            p.sku: (p.name, p.category_id, p.brand, p.active, p.change_seq)
            for p in uow.session.scalars(select(Product))
        }


def test_parse_reads_utf8_with_bom_quotes_and_blank_lines() -> None:
    rows = parse_products_csv(GOOD)
    assert rows == [
        ProductRow("7891000100103", "Café Torrado Pilão 500g", "mercearia", "Pilão"),
        ProductRow("7891910000197", "Açúcar Refinado, União 1kg", "mercearia", "União"),
        ProductRow("7894900011517", "Refrigerante Coca-Cola 2L", "bebidas", None),
    ]


def test_every_bad_row_is_named_by_its_line() -> None:
    data = (
        "sku,name,category,brand\n"
        "A1,Arroz,mercearia,Tio João\n"  # line 2: fine
        ",Feijão,mercearia,Camil\n"  # line 3: no sku
        "A 2,Leite,laticinios,Itambé\n"  # line 4: space in sku
        "A3,,laticinios,Itambé\n"  # line 5: no name
        "A4,Pão,padaria\n"  # line 6: 3 columns
        "A1,Arroz 5kg,mercearia,Tio João\n"  # line 7: repeats line 2
    ).encode()
    with pytest.raises(ProductImportError) as info:
        parse_products_csv(data)
    assert [line for line, _, _ in info.value.problems] == [3, 4, 5, 6, 7]
    err = info.value
    assert err.code == "invalid_products"
    assert "line 7: SKU 'A1' repeats line 2" in err.message_en
    assert "linha 6: esperava 4 colunas, veio 3" in err.message_pt
    assert "nothing imported" in err.message_en


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "line 1: the file is empty"),
        (b"sku,name,price\nA,B,1\n", "line 1: header must be sku,name,category,brand"),
        ("sku,name,category,brand\nA,Caf\u00e9,x,y\n".encode("latin-1"), "line 2: not UTF-8"),
        (b"sku,name,category,brand,active\nA,B,c,d,maybe\n", "line 2: active must be"),
    ],
)
def test_unreadable_files_are_rejected_with_the_line(data: bytes, needle: str) -> None:
    with pytest.raises(ProductImportError) as info:
        parse_products_csv(data)
    assert needle in info.value.message_en


def test_import_syncs_products_and_a_reimport_sends_nothing(app: Flask, till: Till) -> None:
    result = _import(app, GOOD)
    assert result.__dict__ == {"created": 3, "updated": 0, "unchanged": 0}
    changes, cursor = till.pull_all()
    changes = [c for c in changes if c["type"] != "store"]  # the till's own store record
    assert [(c["type"], c["id"]) for c in changes] == [
        ("product", "7891000100103"),
        ("product", "7891910000197"),
        ("product", "7894900011517"),
    ]
    assert changes[0]["data"] == {
        "sku": "7891000100103",
        "name": "Café Torrado Pilão 500g",
        "category": "mercearia",
        "brand": "Pilão",
        "active": True,
    }
    assert "list_price" not in changes[0]["data"]  # the POS owns shelf prices
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        assert sorted(uow.session.scalars(select(Category.id))) == ["bebidas", "mercearia"]

    again = _import(app, GOOD)
    assert again.__dict__ == {"created": 0, "updated": 0, "unchanged": 3}
    assert till.pull_all(cursor) == ([], cursor)

    edited = (
        "sku,name,category,brand,active\n"
        "7891000100103,Café Torrado Pilão 1kg,mercearia,Pilão,1\n"
        "7894900011517,Refrigerante Coca-Cola 2L,bebidas,,não\n"
    ).encode()
    assert _import(app, edited).__dict__ == {"created": 0, "updated": 2, "unchanged": 0}
    later, _ = till.pull_all(cursor)
    assert sorted((c["id"], c["data"]["name"], c["data"]["active"]) for c in later) == [
        ("7891000100103", "Café Torrado Pilão 1kg", True),
        ("7894900011517", "Refrigerante Coca-Cola 2L", False),
    ]
    assert all(c["seq"] > cursor for c in later)


def test_snapshot_carries_the_catalogue(app: Flask, till: Till) -> None:
    _import(app, GOOD)
    r = till.client.get("/api/v1/snapshot", headers=till.headers)
    assert r.status_code == 200
    lines = [json.loads(x) for x in gzip.decompress(r.get_data()).decode().splitlines()]
    records = lines[1:-1]
    assert sorted(rec["id"] for rec in records if rec["type"] == "product") == sorted(
        ["7891000100103", "7891910000197", "7894900011517"]
    )
    assert lines[-1]["count"] == 3 + sum(rec["type"] == "store" for rec in records)


def test_a_failed_import_writes_nothing(app: Flask) -> None:
    _import(app, GOOD)
    before = _products(app)
    # A new category and product get flushed before the database refuses the second row.
    rows = [ProductRow("NEW1", "Novo", "nova-categoria"), ProductRow("BAD", None)]  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's own integrity error
        import_products(SqlUnitOfWork.for_app(app), rows)
    assert _products(app) == before
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Category)) == 2


def test_cli_imports_and_rejects_a_bad_file_whole(tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    db = tmp_path / "cli.db"

    def cli(*args: str) -> object:
        return runner.invoke(main, ["server", "--config", str(config), *args])

    assert cli("init-config", str(config), "--database-url", f"sqlite:///{db}").exit_code == 0
    assert cli("init-db").exit_code == 0
    good = tmp_path / "products.csv"
    good.write_bytes(GOOD)
    ok = cli("import-products", str(good))
    assert ok.exit_code == 0, ok.output
    assert "3 products: 3 new, 0 changed, 0 unchanged" in ok.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "sku,name,category,brand\nNEW9,Novo,x,y\n7891000100103,,mercearia,Pilão\n",
        encoding="utf-8",
    )
    refused = cli("import-products", str(bad))
    assert refused.exit_code == 1
    assert "line 3: name of SKU '7891000100103' is empty" in refused.output
    again = cli("import-products", str(good))
    assert "3 products: 0 new, 0 changed, 3 unchanged" in again.output  # NEW9 never landed
