"""The journal's layout: what one sale writes, counters that survive a restart, and the
migration of a journal made by the first layout (user_version 0).

Real files throughout: the agent is built on a temporary directory and reopened from it.
"""

from __future__ import annotations

import sqlite3
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import lz4.block  # type: ignore[import-untyped]
import orjson
import pytest

from agent.journal import answers, connect_journal
from agent.journal.db import VERSION
from agent.journal.store import Journal, Outbox
from agent.service import Agent
from loyalty.identification import card_number
from loyalty.rewards import Currency, EntryKind, LedgerEntry
from tests.agent.sale.world import (
    campaign_change,
    card_change,
    line,
    make_agent,
    member_change,
)

CHANGES = [campaign_change(1), member_change(2, "M1"), card_change(3, card_number(1), "M1")]

# The first layout as it shipped (agent/journal/db.py before the journal had a user_version).
FIRST_LAYOUT = """
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sales (
    pos_id TEXT PRIMARY KEY, sale_id TEXT NOT NULL UNIQUE, member_id TEXT,
    occurred_at TEXT NOT NULL, total_cents INTEGER NOT NULL, answer BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE refunds (
    pos_id TEXT PRIMARY KEY, refund_id TEXT NOT NULL UNIQUE, sale_id TEXT NOT NULL,
    answer BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE refund_state (sale_id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE ledger (
    entry_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, sale_id TEXT, data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_member ON ledger (member_id);
CREATE INDEX ledger_sale ON ledger (sale_id);
CREATE TABLE voucher_uses (
    voucher_id TEXT NOT NULL, sale_id TEXT NOT NULL, member_id TEXT, used_at TEXT NOT NULL,
    PRIMARY KEY (voucher_id, sale_id)
) WITHOUT ROWID;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    payload BLOB NOT NULL, created_at REAL NOT NULL, state INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, error TEXT
);
"""


def count(agent: Agent, table: str) -> int:
    return int(agent.journal_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def sell(agent: Agent, pos_id: str, member: bool = True) -> dict[str, object]:
    agent.sales.identify(pos_id, card_number(1) if member else None)
    agent.sales.price(pos_id, [line("A", qty="2", price="10.00")])
    return agent.sales.finalise(pos_id)


def event_ids(journal: sqlite3.Connection) -> list[str]:
    return [r[0] for r in journal.execute("SELECT event_id FROM outbox ORDER BY seq")]


def test_a_sale_touches_no_counters_row_and_ids_continue_after_a_restart(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, CHANGES)
    first = sell(agent, "p1")
    sell(agent, "p2", member=False)
    agent.sales.refund("r1", "p1", "5.00")
    # The id sequences ride in the sale and refund rows: no counters row per sale.
    assert count(agent, "counters") == 0
    before = event_ids(agent.journal_conn)
    agent.close()

    again = make_agent(tmp_path)
    third = sell(again, "p3")
    assert first["sale_id"] == "S:LOJA-01:T0001:000000000001"
    assert third["sale_id"] == "S:LOJA-01:T0001:000000000003"
    after = event_ids(again.journal_conn)
    assert after[: len(before)] == before
    assert len(set(after)) == len(after) == len(before) + 1
    assert max(after) > max(before)  # zero-padded: string order is counter order
    # The refund after the restart takes the next refund number, not R…001 again.
    assert again.sales.refund("r2", "p3", "1.00")["refund_id"] == "R:LOJA-01:T0001:000000000002"
    again.close()


def test_a_refund_finds_its_sale_and_entries_by_id_alone(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, CHANGES)
    sale = sell(agent, "p1")
    journal = agent.journal
    row = journal.sale_row(str(sale["sale_id"]))
    assert row is not None
    assert row[0] == "p1"
    assert row[1] == "M1"
    assert journal.sale_row("S:LOJA-01:T0001:000000000099") is None
    assert journal.sale_row("not an id") is None
    (entry,) = journal.entries_for_sale(str(sale["sale_id"]), "M1")
    assert entry.sale_id == sale["sale_id"]
    assert entry.amount == 20
    agent.close()


def test_ledger_entries_are_stored_compressed_and_older_text_rows_still_read(
    tmp_path: Path,
) -> None:
    agent = make_agent(tmp_path, CHANGES)
    sale = sell(agent, "p1")
    ((data,),) = agent.journal_conn.execute("SELECT data FROM ledger").fetchall()
    assert isinstance(data, bytes)
    assert data[:1] == answers.TAG_DICT_1
    # A row as an agent before the dictionary wrote it: plain JSON text in the same column.
    old = LedgerEntry(
        "E:LOJA-01:T0001:000000000000",
        "M1",
        Currency.POINTS,
        EntryKind.EARN,
        Decimal(7),
        datetime(2026, 3, 1, 12, tzinfo=UTC),
    )
    agent.journal_conn.execute(
        "INSERT INTO ledger VALUES ('M1', ?, NULL, ?)",
        (old.entry_id, orjson.dumps(old.to_dict()).decode()),
    )
    entries = agent.journal.entries_for_member("M1")
    assert [e.entry_id for e in entries] == [old.entry_id, "E:LOJA-01:T0001:000000000001"]
    assert entries[0] == old
    (mine,) = agent.journal.entries_for_sale(str(sale["sale_id"]), "M1")
    assert mine == entries[1]
    assert mine.amount == 20
    agent.close()


def _first_layout_journal(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(FIRST_LAYOUT)
    answer = zlib.compress(
        orjson.dumps({"status": "recorded", "sale_id": "S:LOJA-01:T0001:000000000007"})
    )
    conn.execute(
        "INSERT INTO sales VALUES ('old-pos', 'S:LOJA-01:T0001:000000000007', 'M1', "
        "'2026-03-01T12:00:00+00:00', 2000, ?)",
        (answer,),
    )
    conn.execute(
        "INSERT INTO ledger VALUES ('E:LOJA-01:T0001:000000000004', 'M1', "
        "'S:LOJA-01:T0001:000000000007', ?)",
        (
            orjson.dumps(
                LedgerEntry(
                    "E:LOJA-01:T0001:000000000004",
                    "M1",
                    Currency.POINTS,
                    EntryKind.EARN,
                    Decimal(20),
                    datetime(2026, 3, 1, 12, tzinfo=UTC),
                    sale_id="S:LOJA-01:T0001:000000000007",
                ).to_dict()
            ).decode(),
        ),
    )
    conn.execute(
        "INSERT INTO outbox (event_id, type, payload, created_at) "
        "VALUES ('V:LOJA-01:T0001:000000000011', 'sale', ?, 1.0)",
        (zlib.compress(b'{"type": "sale"}'),),
    )
    conn.executemany(
        "INSERT INTO counters VALUES (?, ?)",
        [("sale", 8), ("entry", 5), ("event", 12), ("refund", 1)],
    )
    conn.close()


def test_a_first_layout_journal_is_migrated_and_keeps_everything(tmp_path: Path) -> None:
    _first_layout_journal(tmp_path / "journal.sqlite3")
    conn = connect_journal(tmp_path / "journal.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    journal = Journal(conn)
    assert journal.sale_answer("old-pos") == {
        "status": "recorded",
        "sale_id": "S:LOJA-01:T0001:000000000007",
    }
    assert journal.sale_row("S:LOJA-01:T0001:000000000007") is not None
    assert [e.entry_id for e in journal.entries_for_member("M1")] == [
        "E:LOJA-01:T0001:000000000004"
    ]
    (pending,) = Outbox(conn).batch(10)
    assert pending.event_id == "V:LOJA-01:T0001:000000000011"
    assert journal.counters.snapshot() == {
        "sale": 8,
        "entry": 5,
        "event": 12,
        "refund": 1,
        "member": 1,
    }
    conn.close()

    agent = make_agent(tmp_path, CHANGES)  # the agent on the migrated file sells on
    answer = sell(agent, "new-pos")
    assert answer["sale_id"] == "S:LOJA-01:T0001:000000000008"
    assert event_ids(agent.journal_conn) == [
        "V:LOJA-01:T0001:000000000011",
        "V:LOJA-01:T0001:000000000012",
    ]
    agent.close()


def test_a_migration_that_fails_leaves_the_first_layout_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _first_layout_journal(path)
    conn = sqlite3.connect(path, isolation_level=None)
    # Two ids with the same sequence: the new layout's key refuses the second one.
    conn.execute(
        "INSERT INTO sales VALUES ('dup-pos', 'S:LOJA-02:T0009:000000000007', NULL, "
        "'2026-03-01T12:00:00+00:00', 100, x'00')"
    )
    conn.close()
    with pytest.raises(sqlite3.IntegrityError):
        connect_journal(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sales", "ledger", "outbox"} <= tables
    assert not any("_v0" in t for t in tables)
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 2
    conn.close()


def test_a_layout_1_journal_opens_as_layout_2_and_its_rows_still_read(tmp_path: Path) -> None:
    """A journal of the agent before the LZ4 dictionary: plain-LZ4 answers and payloads, text
    ledger entries. Opening it sets layout 2 (an older agent then refuses the file rather
    than misread it) and everything reads back; new rows use the dictionary."""
    path = tmp_path / "journal.sqlite3"
    conn = connect_journal(path)
    conn.execute("PRAGMA user_version = 1")
    old_answer = {"status": "recorded", "sale_id": "S:LOJA-01:T0001:000000000001"}
    conn.execute(
        "INSERT INTO sales VALUES (1, 'old-pos', 'S:LOJA-01:T0001:000000000001', 'M1', "
        "'2026-03-01T12:00:00+00:00', 2000, ?, ?)",
        (
            answers.TAG_LZ4 + lz4.block.compress(orjson.dumps(old_answer)),
            '{"sale":2,"entry":2,"event":2,"refund":1,"member":1}',
        ),
    )
    entry = LedgerEntry(
        "E:LOJA-01:T0001:000000000001",
        "M1",
        Currency.POINTS,
        EntryKind.EARN,
        Decimal(20),
        datetime(2026, 3, 1, 12, tzinfo=UTC),
        sale_id="S:LOJA-01:T0001:000000000001",
    )
    conn.execute(
        "INSERT INTO ledger VALUES ('M1', ?, ?, ?)",
        (entry.entry_id, entry.sale_id, orjson.dumps(entry.to_dict()).decode()),
    )
    conn.execute(
        "INSERT INTO outbox (event_id, type, payload, created_at) "
        "VALUES ('V:LOJA-01:T0001:000000000001', 'sale', ?, 1.0)",
        (answers.TAG_LZ4 + lz4.block.compress(b'{"type":"sale"}'),),
    )
    conn.close()

    conn = connect_journal(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION == 2
    journal = Journal(conn)
    assert journal.sale_answer("old-pos") == old_answer
    assert journal.entries_for_member("M1") == [entry]
    (pending,) = Outbox(conn).batch(10)
    assert pending.payload == '{"type":"sale"}'
    conn.close()

    agent = make_agent(tmp_path, CHANGES)  # sells on, with the dictionary
    answer = sell(agent, "new-pos")
    assert answer["sale_id"] == "S:LOJA-01:T0001:000000000002"
    blobs = agent.journal_conn.execute("SELECT answer FROM sales ORDER BY seq").fetchall()
    assert [b[0][:1] for b in blobs] == [answers.TAG_LZ4, answers.TAG_DICT_1]
    assert agent.sales.finalise("old-pos") == old_answer  # a retry of the old sale
    agent.close()


def test_a_journal_from_a_newer_agent_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this agent"):
        connect_journal(path)
