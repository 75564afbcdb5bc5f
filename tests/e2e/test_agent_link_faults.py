"""e2e: link faults between agent and server; the till keeps selling, nothing lost or doubled.

GIVEN an agent whose sync goes through a fault-injecting TCP proxy to a real server
WHEN the link refuses connections, accepts and never answers, trickles, answers 500 to
everything, or resets in the middle of the answer (after the server applied the batch)
THEN every finalise still answers at once, and when the link heals the server holds each sale
exactly once and the outbox is empty.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from loyalty.identification import card_number
from server.db import new_session
from server.models import Sale
from tests.agent.sale.world import line, live_server, registration_code, seed_server, write_config
from tests.agent.sync.proxy import FaultProxy
from tests.e2e.test_agent_sync import wait_for

MODES = ["refuse", "blackhole", "trickle", "error500", "reset"]


@pytest.mark.parametrize("mode", MODES)
def test_till_keeps_selling_through_a_link_fault(tmp_path: Path, mode: str) -> None:
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        proxy = FaultProxy(int(srv.url.rsplit(":", 1)[1]))
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, f"http://127.0.0.1:{proxy.port}")))
        try:
            agent.start()
            wait_for(lambda: agent.lookups.member_by_card(card_number(1)) is not None)
            proxy.set_mode(mode)
            slowest = 0.0
            ids = []
            deadline = time.monotonic() + 4
            i = 0
            while time.monotonic() < deadline or i < 30:
                pos = f"{mode}-{i}"
                started = time.perf_counter()
                agent.sales.identify(pos, card_number(1 + i % 3))
                agent.sales.price(pos, [line("ARROZ", price="24.90")])
                ids.append(agent.sales.finalise(pos)["sale_id"])
                slowest = max(slowest, time.perf_counter() - started)
                i += 1
                time.sleep(0.02)
            assert slowest < 0.5, f"a sale waited {slowest:.2f}s on the link"
            assert agent.status()["sync"]["last_error"]
            proxy.set_mode("pass")
            wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
            with new_session(srv.app) as s:
                on_server = list(s.scalars(select(Sale.sale_id)))
                assert s.scalar(select(func.count()).select_from(Sale)) == len(ids)
            assert sorted(on_server) == sorted(ids)
        finally:
            agent.close()
            proxy.close()


def test_a_snapshot_cut_short_is_taken_again(tmp_path: Path) -> None:
    """GIVEN a first sync whose snapshot is reset mid-answer
    THEN the cache keeps cursor 0 (nothing half-trusted) and the next try completes it."""
    from agent.cache import cursor_of, read_meta

    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app, members=50)
        proxy = FaultProxy(int(srv.url.rsplit(":", 1)[1]))
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, f"http://127.0.0.1:{proxy.port}")))
        proxy.set_mode("reset")
        try:
            agent.start()
            wait_for(lambda: agent.sync_state.failures >= 2)
            assert cursor_of(agent.cache_conn) == 0
            proxy.set_mode("pass")
            wait_for(lambda: read_meta(agent.cache_conn, "snapshot_done") == "1")
            assert cursor_of(agent.cache_conn) > 0
            assert agent.lookups.member_by_card(card_number(50)) is not None
        finally:
            agent.close()
            proxy.close()
