"""The product catalogue in the cache: upserts, deletes, lookups by SKU, and old cache files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from agent.cache import CachedProduct, CacheLookups, apply_changes, connect_cache, cursor_of
from agent.cache.card_hash import CardHasher
from agent.cache.writer import reset
from tests.agent.sale.world import member_change

CARD_KEY = CardHasher(b"k" * 32)


def product_change(
    seq: int,
    sku: str,
    name: str = "Arroz Tio João 5kg",
    category: str | None = "mercearia",
    brand: str | None = "Tio João",
    active: bool = True,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "product",
        "id": sku,
        "deleted": False,
        "data": {"sku": sku, "name": name, "category": category, "brand": brand, "active": active},
    }


def test_products_are_upserted_looked_up_and_deleted(tmp_path: Path) -> None:
    conn, _ = connect_cache(tmp_path / "c.sqlite3", CARD_KEY)
    look = CacheLookups(conn)
    assert not look.has_catalogue()
    assert look.product_by_sku("ARROZ") is None
    apply_changes(
        conn,
        [
            product_change(1, "ARROZ"),
            product_change(2, "SABAO", "Sabão em pó", None, None, active=False),
        ],
        2,
    )
    assert look.has_catalogue()
    assert look.product_by_sku("ARROZ") == CachedProduct(
        "ARROZ", "Arroz Tio João 5kg", "mercearia", "Tio João", True
    )
    assert look.product_by_sku("SABAO") == CachedProduct("SABAO", "Sabão em pó", "", "", False)
    assert look.product_by_sku("arroz") is None  # SKUs are exact
    apply_changes(conn, [product_change(3, "ARROZ", "Arroz Tio João 1kg")], 3)
    assert look.product_by_sku("ARROZ").name == "Arroz Tio João 1kg"  # type: ignore[union-attr]
    apply_changes(conn, [{"seq": 4, "type": "product", "id": "ARROZ", "deleted": True}], 4)
    assert look.product_by_sku("ARROZ") is None
    assert look.counts()["products"] == 1
    reset(conn)  # the server said our cursor is ahead: the catalogue goes with the rest
    assert not look.has_catalogue()
    conn.close()


def test_a_cache_from_before_the_catalogue_pulls_everything_again(tmp_path: Path) -> None:
    """An older agent skipped ``product`` changes while its cursor moved past them: after the
    upgrade the cursor starts over (the next pull is a snapshot) and nothing is dropped."""
    path = tmp_path / "old.sqlite3"
    conn, _ = connect_cache(path, CARD_KEY)
    apply_changes(conn, [member_change(1, "M1")], 42)
    conn.execute("DROP TABLE products")  # what an older agent's file looks like
    conn.close()

    conn, rebuilt = connect_cache(path, CARD_KEY)
    assert rebuilt is None
    assert cursor_of(conn) == 0
    assert CacheLookups(conn).member_by_id("M1") is not None  # the till still sells offline
    apply_changes(conn, [product_change(50, "ARROZ")], 50)
    conn.close()

    conn, _ = connect_cache(path, CARD_KEY)  # a cache that has the table keeps its cursor
    assert cursor_of(conn) == 50
    conn.close()


def test_a_fresh_cache_is_not_touched(tmp_path: Path) -> None:
    conn, _ = connect_cache(tmp_path / "new.sqlite3", CARD_KEY)
    assert cursor_of(conn) == 0
    # Only the card key's id (agent.cache.card_hash) is written, no cursor.
    assert [r[0] for r in conn.execute("SELECT key FROM meta")] == ["card_key_id"]
    conn.close()
    raw = sqlite3.connect(tmp_path / "new.sqlite3")
    assert raw.execute("PRAGMA table_info(products)").fetchall()  # the table is there
    raw.close()
