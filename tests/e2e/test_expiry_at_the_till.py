"""e2e: points earned at a real till expire there, offline and after the server's job.

GIVEN a real server on loopback and ``tillclub agent run`` as a process of its own (the POS
speaks to it over the ``http`` plugin), one clock offset file shared by both
WHEN the member earns points at the till, the till syncs, the server goes down and the clock
moves past the points' expiry (12 months)
THEN the POS is refused the expired points at once, offline, from the lots the till holds;
AND WHEN the server is back and its expiry job runs
THEN the ``expire`` entry reaches the till through the feed, and the POS is still refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.service import Credential, write_credential
from agent.sync import register as agent_register
from loyalty.identification import card_number
from server import clock
from server.db import new_session
from server.jobs.contract import JobContext
from server.models import LedgerEntryRow
from server.services.expiry import expire_and_mature
from tests.agent.sale.world import live_server, registration_code, seed_server, write_config
from tests.e2e.test_agent_run import free_port, status

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-pos-secret-0123456789"
THIRTEEN_MONTHS = 396 * 86400

pytestmark = pytest.mark.slow


def wait_for(cond: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


class Pos:
    """The POS side of the ``http`` plugin: JSON over loopback with the shared secret."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"X-Tillclub-Secret": SECRET, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def up(self) -> bool:
        try:
            return self.call("GET", "/v1/health")[0] == 200
        except OSError:
            return False

    def points_shown(self, sale: str) -> int:
        code, body = self.call("POST", f"/v1/sales/{sale}/identify", {"code": card_number(1)})
        assert code == 200, body
        return int(body["result"]["balance"]["points"])


def _cache_kinds(path: Path, member: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT data FROM ledger WHERE member_id = ?", (member,)).fetchall()
    return sorted(json.loads(r[0])["kind"] for r in rows)


def test_expired_points_are_refused_at_the_till_offline_and_after_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    monkeypatch.setenv(clock.OFFSET_ENV, str(offset))  # the server in this process, too
    db = tmp_path / "server.db"
    status_port, pos_port = free_port(), free_port()
    pos = Pos(pos_port)
    with live_server(db) as srv:
        server_port = int(srv.url.rsplit(":", 1)[1])
        seed_server(srv.app)
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(
            tmp_path,
            srv.url,
            status=f"local_api_port = {status_port}\n",
            pos=f'plugin = "http"\n[pos.options]\nport = {pos_port}\nsecret = "{SECRET}"\n',
        )
        agent = subprocess.Popen(
            [sys.executable, "-c", "from agent.cli_commands import run; run()",
             "--config", str(config)],
            cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(pos.up)
            wait_for(lambda: (status(status_port) or {}).get("cache", {}).get("members") == 3)
            # GIVEN 100 points earned at the till (1 point per R$ 1), pushed to the server
            assert pos.points_shown("s1") == 0
            lines = [{"sku": "X", "qty": "1", "unit_price": "100.00"}]
            assert pos.call("PUT", "/v1/sales/s1/basket", {"lines": lines})[0] == 200
            code, done = pos.call("POST", "/v1/sales/s1/finalise")
            assert code == 200, done
            wait_for(lambda: (status(status_port) or {})["queue"]["depth"] == 0)
            wait_for(lambda: "earn" in _cache_kinds(tmp_path / "cache.sqlite3", "M1"))
            assert pos.points_shown("s2") == 100
        except BaseException:
            agent.kill()
            agent.wait()
            assert agent.stderr is not None
            agent.stderr.close()
            raise
    try:
        # WHEN the server is down and the clock moves 13 months on (past the expiry)
        offset.write_text(str(THIRTEEN_MONTHS))
        time.sleep(1.2)  # the clock re-reads its offset file at most once a second
        # THEN offline, before any expiry entry exists anywhere, the POS is refused them
        assert pos.points_shown("s3") == 0
        assert pos.call("PUT", "/v1/sales/s3/basket", {"lines": lines})[0] == 200
        code, refused = pos.call("PUT", "/v1/sales/s3/tenders/points", {"points": 50})
        assert code >= 400, refused
        assert _cache_kinds(tmp_path / "cache.sqlite3", "M1") == ["earn"]
        # WHEN the server is back and its expiry job runs
        with live_server(db, port=server_port) as srv:
            report = expire_and_mature(JobContext(srv.app, clock.now(), 100, "e2e"))
            assert report.detail["points_expired"] == "100"
            with new_session(srv.app) as s:
                kinds = s.scalars(
                    select(LedgerEntryRow.kind).where(LedgerEntryRow.member_id == "M1")
                ).all()
            assert sorted(kinds) == ["earn", "expire"]
            # THEN the till pulls the expire entry, and the POS is still refused
            wait_for(lambda: _cache_kinds(tmp_path / "cache.sqlite3", "M1") == ["earn", "expire"])
            assert pos.points_shown("s4") == 0
            assert pos.call("PUT", "/v1/sales/s4/basket", {"lines": lines})[0] == 200
            code, refused = pos.call("PUT", "/v1/sales/s4/tenders/points", {"points": 50})
            assert code >= 400, refused
    finally:
        agent.terminate()
        try:
            agent.wait(15)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        assert agent.stderr is not None
        agent.stderr.close()
