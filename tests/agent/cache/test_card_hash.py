"""Card numbers in the cache are a keyed hash, never the number (agent.cache.card_hash)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.cache import CacheLookups, apply_changes, connect_cache, cursor_of
from agent.cache.card_hash import CardHasher, from_cpf_secret, mask
from tests.agent.sale.world import card_change, member_change

KEY = from_cpf_secret(b"s" * 32)
CARD = "2900000000017"


def _files(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def test_no_file_of_the_cache_holds_the_number(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    conn, _ = connect_cache(path, KEY)
    apply_changes(conn, [member_change(1, "M1"), card_change(2, CARD, "M1")], 2)
    assert CacheLookups(conn).member_by_card(CARD).member_id == "M1"  # type: ignore[union-attr]
    assert CARD.encode() not in _files(path)
    apply_changes(conn, [{"seq": 3, "type": "card", "id": CARD, "deleted": True}], 3)
    assert CacheLookups(conn).member_by_card(CARD) is None
    conn.close()
    assert CARD.encode() not in _files(path)


def test_a_cache_written_in_clear_is_rehashed_at_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE cards (number TEXT PRIMARY KEY, member_id TEXT NOT NULL,"
        " status TEXT NOT NULL, replaced_by TEXT, crc INTEGER) WITHOUT ROWID;"
    )
    old.execute("INSERT INTO cards VALUES (?, 'M1', 'active', NULL, NULL)", (CARD,))
    old.execute("INSERT INTO meta VALUES ('cursor', '7')")
    old.close()
    conn, _ = connect_cache(path, KEY)
    apply_changes(conn, [member_change(8, "M1")], 8)
    assert CacheLookups(conn).member_by_card(CARD).member_id == "M1"  # type: ignore[union-attr]
    assert CARD.encode() not in _files(path)


def test_cards_hashed_with_another_key_are_pulled_again(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    conn, _ = connect_cache(path, KEY)
    apply_changes(conn, [member_change(1, "M1"), card_change(2, CARD, "M1")], 2)
    conn.close()
    conn, _ = connect_cache(path, CardHasher(b"x" * 32))
    assert cursor_of(conn) == 0
    assert conn.execute("SELECT count(*) FROM cards").fetchone() == (0,)


def test_a_card_shows_its_last_four_digits_only() -> None:
    assert mask(CARD) == "**** 0017"
