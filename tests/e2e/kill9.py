"""The kill -9 scenario, shared by the e2e test (200 kills in CI) and ``bench/agent_kill9.py``
(more): a real server on loopback, an agent process ringing up sales, SIGKILL at random
moments, a restart each time (re-sending the finalise the POS never heard back), then a drain.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from agent.cache import connect_reader
from agent.config import load_config
from agent.journal import Outbox, connect_journal
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from server.db import new_session
from server.models import Sale
from tests.agent.sale.world import live_server, registration_code, seed_server, write_config

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    kills: int
    acked: dict[str, str]  # POS sale id -> sale id, as the POS was told
    recorded: dict[str, str]  # the same, as the journal holds it after the drain
    unsent: int  # outbox rows left after the drain
    server_sales: list[str]
    killed_mid_sale: int  # kills that left a sale the POS had to re-send
    ready_ms: list[float] = field(default_factory=list)  # restart until the agent is serving


def _wait_for_line(path: Path, line: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and line in path.read_text().splitlines():
            return
        time.sleep(0.002)
    raise AssertionError(f"{path.name}: no {line!r} in {timeout}s")


def run(tmp_path: Path, kills: int, seed: int = 7) -> Outcome:
    rng = random.Random(seed)
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(tmp_path, srv.url)
        warm = Agent(load_config(config))  # first pull, so the harness has members to sell to
        outbox = Outbox(connect_journal(warm.config.storage.journal_path, warm.keys))
        cache = connect_reader(warm.config.storage.cache_path, warm.card_hash)
        warm.worker.run_round(outbox, cache)
        outbox.conn.close()
        cache.close()
        warm.close()
        acked: dict[str, str] = {}
        ready_ms: list[float] = []
        retry: str | None = None
        killed_mid_sale = 0
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        zygote = subprocess.Popen(
            [sys.executable, "-m", "tests.agent.sync.harness", "--zygote"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert zygote.stdin is not None
        assert zygote.stdout is not None
        try:
            for cycle in range(kills):
                out = tmp_path / f"cycle-{cycle}.txt"
                args = [str(out), str(config), f"c{cycle}", "1000"] + ([retry] if retry else [])
                started = time.perf_counter()
                zygote.stdin.write(" ".join(args) + "\n")
                zygote.stdin.flush()
                pid = int(zygote.stdout.readline().split()[1])
                if rng.random() < 0.9:  # mostly mid-sale; sometimes during start-up and recovery
                    _wait_for_line(out, "READY")
                    ready_ms.append((time.perf_counter() - started) * 1000)
                    time.sleep(rng.uniform(0.0, 0.06))
                else:
                    time.sleep(rng.uniform(0.0, 0.3))
                os.kill(pid, signal.SIGKILL)
                assert zygote.stdout.readline().split() == ["EXIT", str(pid)]
                lines = out.read_text().splitlines()
                out.unlink()
                begun = [x.split()[1] for x in lines if x.startswith("BEGIN")]
                for x in lines:
                    if x.startswith("ACK"):
                        _, pos, sale_id = x.split()
                        assert acked.setdefault(pos, sale_id) == sale_id  # a retry: same answer
                if retry is not None and (retry in acked or f"LOST {retry}" in lines):
                    retry = None  # the POS's retry was answered
                if begun and begun[-1] not in acked:
                    retry = begun[-1]
                killed_mid_sale += retry is not None
        finally:
            zygote.stdin.close()
            zygote.wait(30)
            zygote.stdout.close()
        drain = subprocess.run(
            [sys.executable, "-m", "tests.agent.sync.harness", str(config), "final", "0"]
            + ([retry] if retry else []),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert "DRAINED" in drain.stdout, drain.stderr[-2000:]
        for x in drain.stdout.splitlines():
            if x.startswith("ACK"):
                _, pos, sale_id = x.split()
                acked.setdefault(pos, sale_id)
        journal = sqlite3.connect(tmp_path / "journal.sqlite3")
        recorded = dict(journal.execute("SELECT pos_id, sale_id FROM sales"))
        unsent = journal.execute("SELECT count(*) FROM outbox").fetchone()[0]
        journal.close()
        with new_session(srv.app) as s:
            server_sales = list(s.scalars(select(Sale.sale_id)))
    return Outcome(kills, acked, recorded, unsent, server_sales, killed_mid_sale, ready_ms)
