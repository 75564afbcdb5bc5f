"""e2e: a till whose clock is an hour ahead, against a real server on loopback.

GIVEN a registered agent whose clock reads an hour ahead of the server's (only the agent's:
the server keeps real time)
WHEN it sells and syncs
THEN ``agent status`` says the till's clock is an hour ahead and to check it, the measure is
kept in the cache for a stopped agent's status, and the server lists the skewed till and the
sale dated in the future on Sync issues' till list.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.sync.clock_check import read_skew
from server.db import new_session
from server.models import TillIssue
from tests.agent.sale.world import line, live_server, seed_server
from tests.e2e.test_agent_sync import register, wait_for

AHEAD = 3600.0


def test_a_till_clock_ahead_is_seen_by_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agent.clock._offset_seconds", lambda: AHEAD)
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        agent = register(tmp_path, srv.url, srv.app)
        agent.start()
        try:
            wait_for(lambda: agent.rules.rule_count == 2, timeout=30)
            agent.sales.price("s-1", [line("X")])
            agent.sales.finalise("s-1")
            wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
            wait_for(lambda: agent.status()["clock"]["skew_seconds"] is not None, timeout=10)
            status = agent.status()
            assert abs(status["clock"]["skew_seconds"] - AHEAD) < 5
            (warning,) = [w for w in status["warnings"] if "clock" in w]
            assert "60 min ahead of the server's" in warning
            measured = read_skew(agent.cache_conn)
            assert measured is not None
            assert abs(measured[0] - AHEAD) < 5
            with new_session(srv.app) as s:
                kinds = sorted(i.kind for i in s.scalars(select(TillIssue)))
            assert kinds == ["future", "till_clock"]
        finally:
            agent.close()
