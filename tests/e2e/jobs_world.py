"""Real worker processes for the job e2e tests: config files, a movable clock, and kill -9.

Every process gets ``TILLCLUB_CLOCK_OFFSET_FILE``: :meth:`JobWorld.set_time` writes the offset
that puts the shared clock at a chosen instant (time then runs on from there), so a test moves
all workers a day ahead without sleeping for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from server import create_app
from server.config import load_config, new_config_text
from server.db import get_engine, new_session
from server.migrate import upgrade
from server.models.jobs import JobRun

ROOT = Path(__file__).resolve().parents[2]
TILLCLUB = str(Path(sys.executable).with_name("tillclub"))


def toml_value(value: Any) -> str:
    return json.dumps(value)  # strings, numbers, booleans and lists: JSON is valid TOML


class JobWorld:
    def __init__(self, folder: Path, db_url: str, jobs: dict[str, dict[str, Any]], **keys: Any):
        self.folder = folder
        self.config = folder / "server.toml"
        self.offset = folder / "clock-offset"
        self.offset.write_text("0", encoding="utf-8")
        lines = [new_config_text(db_url)]
        settings = {
            "log_level": "DEBUG", "log_json": True, "jobs_tick_seconds": 1,
            "jobs_sqlite_path": str(folder / "queue.db"),
            "jobs_extra_modules": ["tests.server.jobs.testjobs"], **keys,
        }  # fmt: skip
        lines += [f"{k} = {toml_value(v)}" for k, v in settings.items()]
        for name, entry in jobs.items():
            lines.append(f'\n[jobs."{name}"]')
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        upgrade(db_url)
        self.env = os.environ | {
            "PYTHONPATH": str(ROOT),
            "TILLCLUB_CLOCK_OFFSET_FILE": str(self.offset),
            "TILLCLUB_TEST_JOB_LOG": str(folder / "runs.log"),
        }
        self._app: Flask | None = None
        self.workers: list[Worker] = []

    @property
    def app(self) -> Flask:
        """An app on the same config, in the test process (built when first asked)."""
        if self._app is None:
            self._app = create_app(load_config(self.config, env={}))
        return self._app

    def set_time(self, at: dt.datetime) -> None:
        offset = (at - dt.datetime.now(dt.UTC)).total_seconds()
        tmp = self.offset.with_suffix(".tmp")
        tmp.write_text(f"{offset:.3f}", encoding="utf-8")
        tmp.replace(self.offset)  # atomic: a reader never sees half a number

    def worker(self) -> Worker:
        w = Worker(self, len(self.workers))
        self.workers.append(w)
        return w.start()

    def runs(self) -> list[JobRun]:
        with new_session(self.app) as s:
            out = list(s.scalars(select(JobRun).order_by(JobRun.id)))
            s.expunge_all()
        return out

    def run_log(self) -> list[tuple[str, int]]:
        path = self.folder / "runs.log"
        if not path.exists():
            return []
        pairs = (line.split() for line in path.read_text().splitlines() if line)
        return [(period, int(pid)) for period, pid in pairs]

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        if self._app is not None:
            get_engine(self._app).dispose()


class Worker:
    def __init__(self, world: JobWorld, n: int) -> None:
        self.world = world
        self.log = world.folder / f"worker-{n}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [TILLCLUB, "server", "--config", str(self.world.config), "worker"],
                env=self.world.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.world.folder, start_new_session=True,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def messages(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
