"""e2e: an agent and a real server process on loopback; offline sales drain exactly once.

GIVEN a registered agent with a cache pulled from a real server
WHEN the server is stopped for a long stretch of sales, then comes back on the same port
THEN every sale reaches the server exactly once, the outbox empties, and the balances the
agent shows equal the server's ledger.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select

from agent.cache import read_meta
from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from loyalty.identification import card_number
from server.db import new_session
from server.models import LedgerEntryRow, Sale
from tests.agent.sale.world import line, live_server, registration_code, seed_server, write_config
from tests.support.waiting import wait_for


def register(tmp: Path, url: str, app: object) -> Agent:
    body = agent_register(url, registration_code(app))
    write_credential(
        tmp / "credential.json",
        Credential(body["credential"], body["terminal_id"], body["store_id"]),
    )
    return Agent(load_config(write_config(tmp, url)))


def server_points(app: object, member_id: str) -> int:
    with new_session(app) as s:
        total = s.scalar(
            select(func.coalesce(func.sum(LedgerEntryRow.amount), 0)).where(
                LedgerEntryRow.member_id == member_id, LedgerEntryRow.currency == "points"
            )
        )
    return int(total)


def test_offline_sales_drain_exactly_once_when_the_server_returns(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    with live_server(db) as srv:
        seed_server(srv.app)
        port = int(srv.url.rsplit(":", 1)[1])
        agent = register(tmp_path, srv.url, srv.app)
        agent.start()
        wait_for(lambda: agent.lookups.member_by_card(card_number(1)) is not None)
        wait_for(lambda: agent.rules.rule_count == 2)
        assert read_meta(agent.cache_conn, "snapshot_done") == "1"  # first sync: the snapshot
        agent.sales.identify("online-1", card_number(1))
        agent.sales.price("online-1", [line("ARROZ", price="24.90")])
        agent.sales.finalise("online-1")
        wait_for(lambda: agent.status()["queue"]["depth"] == 0)
    # The server is down: the till keeps selling.
    ids = []
    for i in range(60):
        pos = f"off-{i}"
        agent.sales.identify(pos, card_number(1 + i % 3))
        agent.sales.price(pos, [line("ARROZ", price="24.90"), line("X", qty="2", price="5.00")])
        ids.append(agent.sales.finalise(pos)["sale_id"])
        agent.sales.finalise(pos)  # a POS retry changes nothing
    time.sleep(1.0)
    status = agent.status()
    assert status["queue"]["depth"] == 60
    assert status["sync"]["last_error"]
    with live_server(db, port=port) as srv:
        wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
        with new_session(srv.app) as s:
            assert s.scalar(select(func.count()).select_from(Sale)) == 61
            assert set(ids) <= set(s.scalars(select(Sale.sale_id)))
        # The agent pulls its own entries back; the shown balance equals the server's ledger.
        for m in ("M1", "M2", "M3"):
            wait_for(
                lambda m=m: agent.sales._balance_view(m)["points"] == server_points(srv.app, m)
            )
        assert server_points(srv.app, "M1") == 21 + 20 * (21 + 10)
        agent.stop()


def test_a_cursor_ahead_of_the_server_refills_the_cache(tmp_path: Path) -> None:
    """GIVEN a cache whose cursor is beyond the server's last change (a restored server)
    WHEN the agent pulls THEN the server answers 409 and the agent refills from zero."""
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        agent = register(tmp_path, srv.url, srv.app)
        agent.cache_conn.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', '999999')")
        agent.start()
        try:
            wait_for(lambda: agent.lookups.member_by_card(card_number(2)) is not None)
            assert 0 < agent.status()["cache"]["cursor"] < 999999
        finally:
            agent.close()


def test_a_revoked_terminal_keeps_selling_and_says_why(tmp_path: Path) -> None:
    from server.services.terminals import revoke_terminal
    from server.services.uow import SqlUnitOfWork

    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        agent = register(tmp_path, srv.url, srv.app)
        revoke_terminal(SqlUnitOfWork.for_app(srv.app), agent.terminal_id)
        agent.start()
        try:
            agent.sales.price("p1", [line("A")])
            assert agent.sales.finalise("p1")["status"] == "recorded"
            wait_for(lambda: "credential refused" in (agent.status()["sync"]["last_error"] or ""))
            assert agent.status()["queue"]["depth"] == 1
        finally:
            agent.close()
