"""e2e: the restore drill. A server restored from an older backup loses no acknowledged sale.

GIVEN a real server (SQLite file, HTTP on loopback) and two ``tillclub agent run`` processes
      selling through the http POS plugin
WHEN a backup is taken after 30 sales, 40 more sales are synced, the server is stopped, the
     backup restored, ``new-epoch`` run (docs/operations.md) and head office credits +777 points
THEN both agents push again what the server lost and re-snapshot their caches: every sale
     the tills were told was applied is at the server exactly once, the balances the tills
     show equal the server's ledger (the +777 included), and status and Sync issues say so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from agent.service import Credential, write_credential
from agent.sync import register
from server.db import new_session
from server.models import EpochRepush, LedgerEntryRow, Sale
from tests.agent.sale.world import (
    card,
    live_server,
    registration_code,
    seed_server,
    write_config,
)
from tests.support.net import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pos-secret-0123456789"


@dataclass
class Till:
    name: str
    proc: subprocess.Popen[str]
    status_port: int
    pos_port: int

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.pos_port}{path}",
            data=data,
            method=method,
            headers={"X-Tillclub-Secret": SECRET, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def sell(self, pos_id: str, member: int) -> str:
        self.call("POST", f"/v1/sales/{pos_id}/identify", {"code": card(member)})
        lines = [{"sku": "ARROZ", "qty": "1", "unit_price": "24.90"}]
        self.call("PUT", f"/v1/sales/{pos_id}/basket", {"lines": lines})
        answer = self.call("POST", f"/v1/sales/{pos_id}/finalise")
        assert answer["ok"], answer
        return str(answer["result"]["sale_id"])

    def points(self, member: int, pos_id: str) -> int:
        answer = self.call("POST", f"/v1/sales/{pos_id}/identify", {"code": card(member)})
        assert answer["ok"], answer
        self.call("DELETE", f"/v1/sales/{pos_id}")
        return int(answer["result"]["balance"]["points"])

    def status(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.status_port}/status"
        with urllib.request.urlopen(url, timeout=5) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data


@contextmanager
def till(tmp: Path, name: str, url: str, app: Any) -> Iterator[Till]:
    home = tmp / name
    home.mkdir()
    body = register(url, registration_code(app))
    write_credential(
        home / "credential.json",
        Credential(body["credential"], body["terminal_id"], body["store_id"]),
    )
    status_port, pos_port = free_port(), free_port()
    config = write_config(
        home,
        url,
        status=f"local_api_port = {status_port}\n",
        pos=f'plugin = "http"\noptions = {{ port = {pos_port}, secret = "{SECRET}" }}\n',
    )
    log = (home / "agent.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tillclub.cli", "agent", "run", "--config", str(config)],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    t = Till(name, proc, status_port, pos_port)
    try:

        def ready() -> bool:
            try:
                return bool(t.status()["cache"].get("members") == 3)
            except OSError:
                return False

        wait_for(ready, timeout=60)
        yield t
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def server_points(app: Any, member_id: str) -> int:
    with new_session(app) as s:
        total = s.scalar(
            select(func.coalesce(func.sum(LedgerEntryRow.amount), 0)).where(
                LedgerEntryRow.member_id == member_id, LedgerEntryRow.currency == "points"
            )
        )
    return int(total or 0)


def shows(t: Till, member: int, points: int) -> bool:
    return t.points(member, f"q{t.name}{member}") == points


def drained(*tills: Till) -> bool:
    return all(t.status()["queue"]["depth"] == 0 for t in tills)


def test_a_restored_server_gets_every_acknowledged_sale_back(tmp_path: Path) -> None:
    from server.services.adjustments import record_adjustment
    from server.services.epochs import start_new_epoch
    from server.services.uow import SqlUnitOfWork

    db = tmp_path / "server.db"
    backup = tmp_path / "backup.db"
    acked: list[str] = []
    with live_server(db) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        seed_server(srv.app)
        with till(tmp_path, "a", srv.url, srv.app) as a, till(tmp_path, "b", srv.url, srv.app) as b:
            for i in range(30):
                acked.append((a, b)[i % 2].sell(f"p{i}", 1 + i % 3))
            wait_for(lambda: drained(a, b), timeout=60)
            # An online backup, as `sqlite3 server.db ".backup backup.db"` (or pg_dump)
            # takes it while serving: from another process, as operations would.
            code = (
                "import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); "
                "d = sqlite3.connect(sys.argv[2]); s.backup(d); d.close(); s.close()"
            )
            subprocess.run([sys.executable, "-c", code, str(db), str(backup)], check=True)
            for i in range(30, 70):
                acked.append((a, b)[i % 2].sell(f"p{i}", 1 + i % 3))
            wait_for(lambda: drained(a, b), timeout=60)
            with new_session(srv.app) as s:
                assert s.scalar(select(func.count()).select_from(Sale)) == 70
            srv.stop()
            from server.db import get_engine

            get_engine(srv.app).dispose()
            # The restore, as docs/operations.md gives it: server stopped, file replaced,
            # new epoch started before the server takes traffic again.
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(backup, db)
            with live_server(db, port=port) as restored:
                app = restored.app
                with new_session(app) as s:
                    assert s.scalar(select(func.count()).select_from(Sale)) == 30  # 40 lost
                start_new_epoch(SqlUnitOfWork.for_app(app), "restore drill")
                from server.clock import now

                uow = SqlUnitOfWork.for_app(app)
                with uow:
                    record_adjustment(
                        uow, "M1", "points", "777", "goodwill after the restore", actor="drill",
                        now=now(),
                    )  # fmt: skip
                    uow.commit()
                # The tills carry on selling.
                for i in range(70, 80):
                    acked.append((a, b)[i % 2].sell(f"p{i}", 1 + i % 3))

                def recovered() -> bool:
                    return drained(a, b) and all(
                        (t.status().get("epoch") or {}).get("last_change", {}).get("resnapshot_at")
                        and not t.status()["epoch"]["repush_under_way"]
                        for t in (a, b)
                    )

                wait_for(recovered, timeout=90)
                with new_session(app) as s:
                    server_sales = list(s.scalars(select(Sale.sale_id)))
                    repushes = list(s.scalars(select(EpochRepush)))
                assert len(server_sales) == len(set(server_sales)) == 80
                assert set(acked) == set(server_sales)  # 0 acknowledged sales lost
                assert sum(r.recovered for r in repushes) == 40
                for m in (1, 2, 3):
                    expected = server_points(app, f"M{m}")
                    for t in (a, b):
                        wait_for(partial(shows, t, m, expected))
                assert server_points(app, "M1") >= 777
                for t in (a, b):
                    report = t.status()
                    change = report["epoch"]["last_change"]
                    assert change["repushed"] >= 35  # what each till held of the 70 it sold
                    assert any("restored or failed over" in w for w in report["warnings"])
                recovered_by = sum(t.status()["epoch"]["last_change"]["recovered"] for t in (a, b))
                assert recovered_by == 40
