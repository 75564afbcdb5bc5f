"""One journal transaction owns the ids a sale takes: a failure anywhere inside gives them back.

Real journal and cache files; the failures are real (a trigger that makes SQLite refuse a
row mid-commit, an exception raised after ids were taken).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.journal import Journal, OutboxRow, Write, connect_journal
from agent.service import Agent
from loyalty.identification import card_number
from tests.agent.sale.world import campaign_change, card_change, line, make_agent, member_change

CHANGES = [campaign_change(1), member_change(2, "M1"), card_change(3, card_number(1), "M1")]


def count(agent: Agent, table: str) -> int:
    return int(agent.journal_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def priced(agent: Agent, pos_id: str) -> None:
    agent.sales.identify(pos_id, card_number(1))
    agent.sales.price(pos_id, [line("A", qty="2", price="10.00")])


def test_a_commit_that_fails_mid_sale_gives_every_id_back(tmp_path: Path) -> None:
    """GIVEN a priced member sale WHEN SQLite refuses its outbox row (after the sale and ledger
    rows went in) THEN nothing is on disk, the counters are as before, and the sale, once
    finalised, takes the very ids the failed attempt took."""
    agent = make_agent(tmp_path, CHANGES)
    priced(agent, "p1")
    before = agent.journal.counters.snapshot()
    agent.journal_conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        agent.sales.finalise("p1")
    assert agent.journal.counters.snapshot() == before
    assert count(agent, "sales") == count(agent, "ledger") == count(agent, "outbox") == 0
    assert agent.queue.pending == 0
    agent.journal_conn.execute("DROP TRIGGER boom")

    answer = agent.sales.finalise("p1")
    assert answer["sale_id"] == "S:LOJA-01:T0001:000000000001"
    (event_id,) = [r[0] for r in agent.journal_conn.execute("SELECT event_id FROM outbox")]
    assert event_id == "V:LOJA-01:T0001:000000000001"
    assert agent.journal.counters.snapshot() != before
    agent.close()


def test_a_refund_that_fails_gives_its_ids_back(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, CHANGES)
    priced(agent, "p1")
    agent.sales.finalise("p1")
    before = agent.journal.counters.snapshot()
    agent.journal_conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON refunds BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        agent.sales.refund("r1", "p1", "5.00")
    assert agent.journal.counters.snapshot() == before
    agent.journal_conn.execute("DROP TRIGGER boom")
    assert agent.sales.refund("r1", "p1", "5.00")["refund_id"] == "R:LOJA-01:T0001:000000000001"
    agent.close()


def test_ids_taken_before_a_failure_in_the_building_come_back(tmp_path: Path) -> None:
    journal = Journal(connect_journal(tmp_path / "journal.sqlite3"))
    before = journal.counters.snapshot()

    def build() -> None:
        with journal.transaction() as tx:
            tx.counters.take("sale")
            tx.counters.take("event")
            tx.counters.advance("raffle_block:B1", 3)
            raise ValueError("tender no longer covered")

    with pytest.raises(ValueError, match="tender no longer covered"):
        build()
    assert journal.counters.snapshot() == before


def test_ids_taken_without_a_write_come_back_and_a_recorded_write_keeps_them(
    tmp_path: Path,
) -> None:
    conn = connect_journal(tmp_path / "journal.sqlite3")
    journal = Journal(conn)
    before = journal.counters.snapshot()
    with journal.transaction() as tx:
        tx.counters.take("event")  # nothing recorded: nothing used the id
    assert journal.counters.snapshot() == before

    with journal.transaction() as tx:
        n = tx.counters.take("event")
        tx.record(Write(events=[OutboxRow(f"V:{n}", "sale", "{}")]))
    assert journal.counters.snapshot()["event"] == before["event"] + 1
    # persisted with the write: a journal opened again continues after it
    assert Journal(connect_journal(tmp_path / "journal.sqlite3")).counters.snapshot() == (
        journal.counters.snapshot()
    )


def test_a_transaction_records_one_write_and_holds_the_journal_lock(tmp_path: Path) -> None:
    journal = Journal(connect_journal(tmp_path / "journal.sqlite3"))
    with journal.transaction() as tx:
        assert journal.lock._is_owned()  # type: ignore[attr-defined]
        tx.record(Write())
        with pytest.raises(RuntimeError, match="one write"):
            tx.record(Write())
    assert not journal.lock._is_owned()  # type: ignore[attr-defined]
