"""The sync worker prunes the journal rows of shoppers enrolled here once the server has them.

GIVEN a real server on loopback and a registered agent whose clock the test moves
WHEN a shopper joins at the till and the worker pushes the enrolment and pulls the member back
THEN the row stays while a POS retry could still come, and goes at the first round after that;
the shopper is still identified at the till (by the cache). (Pending and refused enrolments
are kept: tests/agent/journal/test_local_members.py.)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from agent.sync.client import register as agent_register
from agent.sync.worker import KEEP_SYNCED_ENROLMENTS
from loyalty.identification import card_number
from tests.agent.sale.world import (
    Clock,
    line,
    live_server,
    registration_code,
    seed_server,
    wait_for,
    write_config,
)

CARD = card_number(77)


def local_rows(agent: Agent) -> list[str]:
    rows = agent.journal_conn.execute("SELECT member_id FROM local_members ORDER BY rowid")
    return [r[0] for r in rows]


def test_a_synced_enrolment_leaves_the_journal_after_the_retry_window(tmp_path: Path) -> None:
    clock = Clock()
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, srv.url)), clock)
        agent.start()
        try:
            agent.sales.price("p1", [line("X")])
            joined = agent.sales.enrol(
                "p1", {"name": "Ana Lima", "consent_terms": True, "card_number": CARD}
            )
            agent.sales.finalise("p1")
            member_id = joined["member_id"]
            wait_for(lambda: agent.lookups.member_by_id(member_id) is not None, timeout=30)
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            # Within the retry window the row stays: a POS retry gets the first answer.
            agent.worker.notify()
            assert local_rows(agent) == [member_id]
            assert (
                agent.sales.enrol(
                    "p1", {"name": "Ana Lima", "consent_terms": True, "card_number": CARD}
                )["member_id"]
                == member_id
            )

            clock.at += KEEP_SYNCED_ENROLMENTS + timedelta(minutes=1)
            agent.worker.notify()
            wait_for(lambda: local_rows(agent) == [])
            # The cache alone knows the shopper now.
            agent.sales.identify("p2", CARD)
            agent.sales.price("p2", [line("X")])
            assert agent.sales.finalise("p2")["member_id"] == member_id
        finally:
            agent.stop()
            agent.close()
