"""Run the server under gunicorn as a child process (for the e2e tests and the benchmarks).

The listening socket is bound here to port 0 and handed to gunicorn as ``fd://N``, so the
port is known before the server starts and nothing races for it. Gunicorn runs in its own
process group: :meth:`GunicornProcess.kill` is a real ``kill -9`` of master and workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

GUNICORN = Path(sys.executable).with_name("gunicorn")


class GunicornProcess:
    def __init__(
        self,
        config_path: Path,
        *,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        self.sock = sock or socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = config_path
        self.workers = workers
        self.extra_env = dict(env or {})
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: object = None

    def start(self, timeout: float = 30) -> GunicornProcess:
        fd = self.sock.fileno()
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ) | {
            "TILLCLUB_SERVER_CONFIG": str(self.config_path),
            "PYTHONPATH": root,
        }
        env |= self.extra_env
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                str(self.workers),
                "--bind",
                f"fd://{fd}",
                "--graceful-timeout",
                "5",
                "--timeout",
                "120",
                "--no-control-socket",
                "server:create_app()",
            ],
            env=env,
            pass_fds=(fd,),
            stdout=log,
            stderr=log,
            start_new_session=True,
            cwd=root,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.close()
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.close()
        raise RuntimeError("gunicorn did not become ready in time")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and every worker, mid-request or not."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        self.sock.close()
        close = getattr(self._log, "close", None)
        if close is not None:
            close()
