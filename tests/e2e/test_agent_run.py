"""e2e: ``tillclub agent run`` as a process of its own: local status API, clean SIGTERM stop.

GIVEN an enrolled agent config pointing at a real server on loopback
WHEN the ``run`` command is started as a subprocess
THEN ``GET http://127.0.0.1:<port>/status`` answers JSON showing a running agent that has
contacted the server, and SIGTERM stops it with exit code 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from agent.service import Credential, write_credential
from agent.sync import register as agent_register
from tests.agent.sale.world import live_server, registration_code, seed_server, write_config
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def status(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data
    except OSError:
        return None


def test_run_serves_status_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(tmp_path, srv.url, status=f"local_api_port = {port}\n")
        code = "from agent.cli_commands import run; run()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "--config", str(config)],
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            report = None
            while time.monotonic() < deadline:
                report = status(port)
                if (
                    report
                    and report["sync"]
                    and report["sync"]["last_contact_age_seconds"] is not None
                ):
                    break
                time.sleep(0.1)
            assert report is not None
            assert report["running"] is True
            assert report["cache"]["members"] == 3
            assert report["terminal_id"] == body["terminal_id"]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            assert proc.stderr is not None
            err = proc.stderr.read()
            proc.stderr.close()
        assert body["credential"] not in err
