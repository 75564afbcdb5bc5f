"""The running agent's count of unsent events agrees with the file, through sales, refunds,
settles (applied, rejected, retried) and a restart; the status and sync headers use it."""

from __future__ import annotations

from pathlib import Path

from agent.journal import Outbox, connect_journal
from agent.service import Agent
from loyalty.identification import card_number
from tests.agent.sale.world import campaign_change, card_change, line, make_agent, member_change

CHANGES = [campaign_change(1), member_change(2, "M1"), card_change(3, card_number(1), "M1")]


def in_file(agent: Agent) -> int:
    return int(
        agent.journal_conn.execute("SELECT count(*) FROM outbox WHERE state = 0").fetchone()[0]
    )


def sell(agent: Agent, pos_id: str) -> None:
    agent.sales.identify(pos_id, card_number(1))
    agent.sales.price(pos_id, [line("A", price="10.00")])
    agent.sales.finalise(pos_id)


def test_the_gauge_follows_the_outbox(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, CHANGES)
    for i in range(5):
        sell(agent, f"p{i}")
    agent.sales.finalise("p0")  # a POS retry of a recorded sale adds nothing
    agent.sales.refund("r1", "p1", "5.00")
    assert agent.queue.pending == in_file(agent) == 6

    outbox = Outbox(connect_journal(tmp_path / "journal.sqlite3"), agent.queue)
    batch = outbox.batch(4)
    ids = [e.event_id for e in batch]
    outbox.settle(batch, applied=ids[:2], rejected=[(ids[2], "bad: no")], retry=[ids[3]])
    assert agent.queue.pending == in_file(agent) == 3
    # The same answer again (a retried settle) takes nothing more off.
    outbox.settle(batch, applied=ids[:2], rejected=[(ids[2], "bad: no")], retry=[])
    assert agent.queue.pending == in_file(agent) == 3

    headers = agent._status_headers()
    assert headers["X-Tillclub-Queue-Depth"] == "3"
    status = agent.status()
    assert status["queue"]["depth"] == 3
    assert status["queue"]["rejected"] == 1
    agent.close()

    again = make_agent(tmp_path)
    assert again.queue.pending == in_file(again) == 3
    again.close()
