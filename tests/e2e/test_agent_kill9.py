"""e2e: kill -9 durability of the journal and the outbox, against a real server.

GIVEN a running agent (a process of its own, sync worker on) ringing up sales
WHEN it is killed with SIGKILL at random moments, many times, and restarted each time
THEN every sale the POS was told was recorded is in the journal, no sale is recorded twice,
and once the outbox drains the server holds exactly the journal's sales.

The scenario lives in ``tests/e2e/kill9.py``; ``bench/agent_kill9.py`` runs it with more kills.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.kill9 import run

KILLS = int(os.environ.get("TILLCLUB_KILL9_CYCLES", "200"))


def test_every_acknowledged_sale_survives_kill_9_and_reaches_the_server_once(
    tmp_path: Path,
) -> None:
    outcome = run(tmp_path, KILLS)
    assert outcome.acked, "no sale was ever acknowledged: the kills came too early"
    assert {p: outcome.recorded.get(p) for p in outcome.acked} == outcome.acked
    assert outcome.unsent == 0
    assert len(outcome.server_sales) == len(set(outcome.server_sales))
    assert sorted(outcome.server_sales) == sorted(outcome.recorded.values())
    assert outcome.killed_mid_sale > 0
