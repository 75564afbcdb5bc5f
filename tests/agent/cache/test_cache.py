"""The cache file: lookups, deletes, rules rebuilt on change, and rebuild after corruption."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.cache import CacheLookups, Rules, apply_changes, connect_cache, cursor_of
from agent.cache.card_hash import CardHasher
from agent.journal import Journal, Write, connect_journal
from tests.agent.sale.world import campaign_change, card_change, member_change

CARD_KEY = CardHasher(b"k" * 32)


def test_lookups_by_card_cpf_hash_and_id_and_deletes(tmp_path: Path) -> None:
    conn, rebuilt = connect_cache(tmp_path / "c.sqlite3", CARD_KEY)
    assert rebuilt is None
    apply_changes(conn, [member_change(1, "M1", cpf_hash="ab" * 32), card_change(2, "C1", "M1")], 2)
    look = CacheLookups(conn)
    assert look.member_by_card("C1").member_id == "M1"  # type: ignore[union-attr]
    assert look.member_by_cpf_hash("ab" * 32).member_id == "M1"  # type: ignore[union-attr]
    assert look.member_by_id("M1") is not None
    apply_changes(
        conn,
        [
            {"seq": 3, "type": "card", "id": "C1", "deleted": True, "data": None},
            {"seq": 4, "type": "gift_card", "id": "x", "deleted": False, "data": {}},
        ],
        4,
    )
    assert look.member_by_card("C1") is None
    assert cursor_of(conn) == 4
    conn.close()


def test_rules_rebuild_on_change_and_keep_the_last_good_set(tmp_path: Path) -> None:
    rules = Rules("America/Sao_Paulo")
    rules.rebuild([campaign_change(1)["data"]])
    assert rules.rule_count == 2
    assert rules.error is None
    good = rules.ruleset
    bad = campaign_change(2, {"rules": [{"id": "x", "kind": "percent_off", "percent": "150"}]})
    rules.rebuild([bad["data"]])
    assert rules.ruleset is good
    assert rules.error is not None
    assert "campaigns not applied" in rules.error


def test_a_corrupted_cache_is_rebuilt_and_the_journal_is_untouched(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    conn, _ = connect_cache(cache_path, CARD_KEY)
    apply_changes(conn, [member_change(i, f"M{i}", name="x" * 200) for i in range(1, 400)], 399)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    journal = connect_journal(tmp_path / "journal.sqlite3")
    Journal(journal).record(Write(events=[("V:1", "sale", "{}")]))
    data = bytearray(cache_path.read_bytes())
    data[4096 * 3 : 4096 * 3 + 2000] = b"\xff" * 2000  # scribble over a b-tree page
    cache_path.write_bytes(bytes(data))
    conn, rebuilt = connect_cache(cache_path, CARD_KEY)
    assert rebuilt is not None
    assert "rebuilding" in rebuilt
    assert cursor_of(conn) == 0
    assert conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0
    assert list(tmp_path.glob("cache.sqlite3.corrupt-*"))
    assert journal.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    conn.close()
    journal.close()


def test_a_file_that_is_not_a_database_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    conn, rebuilt = connect_cache(path, CARD_KEY)
    assert rebuilt is not None
    assert isinstance(conn, sqlite3.Connection)
    conn.close()
