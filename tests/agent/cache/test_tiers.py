"""Member tiers in the cache: stored from the feed, returned by every lookup, and a cache file
from before tiers gains the column and pulls everything again without losing a row."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agent.cache import CacheLookups, apply_changes, connect_cache, cursor_of
from agent.cache.card_hash import CardHasher
from tests.agent.sale.world import card_change, member_change

CARD_KEY = CardHasher(b"k" * 32)


def tiered(seq: int, member_id: str, tier: Any, cpf_hash: str | None = None) -> dict[str, Any]:
    change = member_change(seq, member_id, cpf_hash=cpf_hash)
    change["data"]["tier"] = tier
    return change


def test_every_lookup_returns_the_tier_the_feed_sent(tmp_path: Path) -> None:
    conn, _ = connect_cache(tmp_path / "c.sqlite3", CARD_KEY)
    apply_changes(
        conn, [tiered(1, "M1", "gold", cpf_hash="ab" * 32), card_change(2, "C1", "M1")], 2
    )
    look = CacheLookups(conn)
    found = [look.member_by_card("C1"), look.member_by_cpf_hash("ab" * 32), look.member_by_id("M1")]
    assert [m.tier if m else "missing" for m in found] == ["gold", "gold", "gold"]
    assert found[0] is not None
    assert found[0].card_status == "active"
    apply_changes(conn, [tiered(3, "M1", "classic")], 3)  # a review moved the member down
    assert look.member_by_card("C1").tier == "classic"  # type: ignore[union-attr]
    conn.close()


@pytest.mark.parametrize(
    ("data_tier", "cached"),
    [("gold", "gold"), (None, None), ("", None), ("missing", None)],
)
def test_a_member_without_a_tier_has_none(
    tmp_path: Path, data_tier: str | None, cached: str | None
) -> None:
    """Null (no ladder, no review yet), empty, or a record from an older server without the
    field: the member has no tier, so no ``audience.tiers`` rule fires."""
    conn, _ = connect_cache(tmp_path / "c.sqlite3", CARD_KEY)
    change = tiered(1, "M1", data_tier)
    if data_tier == "missing":
        del change["data"]["tier"]
    apply_changes(conn, [change], 1)
    assert CacheLookups(conn).member_by_id("M1").tier == cached  # type: ignore[union-attr]
    conn.close()


def test_a_cache_from_before_tiers_gains_the_column_and_pulls_again(tmp_path: Path) -> None:
    """GIVEN a cache file an older agent made (members without ``tier``, cursor at 42)
    WHEN this agent opens it THEN the column is added, every row is kept (the till sells
    offline), the cursor starts over so the next pull (a snapshot) fills the tiers in, and
    reopening the upgraded file keeps its cursor."""
    path = tmp_path / "old.sqlite3"
    conn, _ = connect_cache(path, CARD_KEY)
    apply_changes(conn, [member_change(1, "M1"), card_change(2, "C1", "M1")], 42)
    conn.close()
    raw = sqlite3.connect(path)
    raw.execute("ALTER TABLE members DROP COLUMN tier")  # what the older agent's file looks like
    raw.commit()
    raw.close()

    conn, rebuilt = connect_cache(path, CARD_KEY)
    assert rebuilt is None
    assert cursor_of(conn) == 0
    look = CacheLookups(conn)
    member = look.member_by_card("C1")
    assert member is not None
    assert (member.member_id, member.tier) == ("M1", None)
    apply_changes(conn, [tiered(50, "M1", "gold")], 50)
    assert look.member_by_card("C1").tier == "gold"  # type: ignore[union-attr]
    conn.close()

    conn, _ = connect_cache(path, CARD_KEY)
    assert cursor_of(conn) == 50
    conn.close()
