"""The till's own store record in the cache: its time zone reaches the rules, and a cache
made before store records existed pulls everything again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.cache import CacheLookups, Rules, apply_changes, connect_cache, cursor_of
from agent.cache.card_hash import CardHasher
from tests.agent.cache.test_rules import scheduled
from tests.agent.sale.world import T0, Clock, member_change

Change = dict[str, Any]

CARD_KEY = CardHasher(b"k" * 32)


def store_change(
    seq: int, store_id: str, zone: str | None, deleted: bool = False
) -> dict[str, Any]:
    data = {"id": store_id, "name": store_id, "timezone": zone, "active": True}
    return {"seq": seq, "type": "store", "id": store_id, "deleted": deleted,
            "data": None if deleted else data}  # fmt: skip


MORNING = {
    "rules": [{"id": "manha", "kind": "percent_off", "name": "Manhã", "percent": "10",
               "applies_to": {"skus": ["CAFE"]}, "valid": {"hours": ["08:00", "09:00"]}}]
}  # fmt: skip


def test_the_cached_store_zone_prices_the_campaigns(tmp_path: Path) -> None:
    """No zone in the campaign; the store record says Manaus: the rules read it, over the
    terminal's São Paulo setting, and the status warns about the difference."""
    conn, _ = connect_cache(tmp_path / "c.sqlite3", CARD_KEY)
    look = CacheLookups(conn)
    assert look.store_timezone("MAO-01") is None
    apply_changes(conn, [store_change(1, "MAO-01", "America/Manaus"),
                         store_change(2, "SAO-01", "America/Sao_Paulo")], 2)  # fmt: skip
    assert look.store_timezone("MAO-01") == "America/Manaus"
    rules = Rules("America/Sao_Paulo", "MAO-01", Clock(T0.replace(hour=12, minute=30)))
    rules.rebuild([scheduled(1, "c", None, None, MORNING)["data"]], look.store_timezone("MAO-01"))
    assert rules.ruleset.timezone_for("MAO-01") == "America/Manaus"
    assert rules.summary()["timezone"] == "America/Manaus"
    assert rules.warning is not None
    assert "America/Manaus" in rules.warning
    # not set at head office (null): the campaigns' zone applies, as before
    apply_changes(conn, [store_change(3, "MAO-01", None)], 3)
    assert look.store_timezone("MAO-01") is None
    rules.rebuild([scheduled(1, "c", None, None, MORNING)["data"]], look.store_timezone("MAO-01"))
    assert rules.ruleset.timezone_for("MAO-01") == "America/Sao_Paulo"
    conn.close()


def test_a_cache_from_before_store_records_pulls_everything_again(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn, _ = connect_cache(path, CARD_KEY)
    apply_changes(conn, [member_change(1, "M1")], 42)
    conn.execute("DROP TABLE stores")  # what an older agent's file looks like
    conn.close()
    conn, _ = connect_cache(path, CARD_KEY)
    assert cursor_of(conn) == 0
    assert CacheLookups(conn).member_by_id("M1") is not None  # still sells offline
    conn.close()
