"""e2e: real ``tillclub server worker`` processes against one database.

GIVEN two workers on one database (SQLite file + SQLite queue for a shop; PostgreSQL + Redis
for a chain) and a clock moved ahead by an offset file (never a real wait for a period)
WHEN the periods of every scheduled job come due
THEN each (job, period) runs exactly once, whichever worker takes it.

GIVEN a slow job, WHEN its worker is killed -9 mid-run 20 times (a new worker each time)
THEN the period completes once, after 21 attempts, and the end state equals a clean run.

GIVEN a broken schedule in the config, THEN the worker and the server refuse to start and say
which key is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from server.db import new_session
from server.jobs import runs
from server.jobs.contract import JobContext
from server.models import Voucher
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher
from tests.server.conftest import create_pg_database, drop_pg_database
from tests.server.jobs.testjobs import slow_vouchers

from .jobs_world import TILLCLUB, JobWorld, wait_for

pytestmark = [pytest.mark.slow]
SP = dt.timezone(dt.timedelta(hours=-3))  # São Paulo has no DST since 2019
START = dt.datetime(2027, 1, 10, 12, 0, 20, tzinfo=SP)
BUILTIN = (
    "ledger-expiry", "expiry-notice", "tier-review", "segments", "voucher-expiry",
    "lgpd-retention",
)  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(jobs_storage, database url): a shop on SQLite, a chain on PostgreSQL and Redis."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'server.db'}"
        return
    name, url = create_pg_database("tc_jobs")
    try:
        yield "redis", url
    finally:
        drop_pg_database(name)


def test_two_workers_run_each_scheduled_period_once(
    storage: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = storage
    queue = f"tillclub-test-{uuid.uuid4().hex[:8]}"
    world = JobWorld(
        tmp_path, url, {"test-count": {"schedule": "0 * * * *"}},
        jobs_storage=kind, jobs_queue_name=queue,
    )  # fmt: skip
    world.set_time(START)
    try:
        world.worker()
        world.worker()
        expected: dict[str, set[str]] = {}
        # periods: the start, one hour on, a day on, a day and an hour on
        hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
        for step in (dt.timedelta(0), hour, day, day + hour):
            at = START + step
            world.set_time(at)
            local = at.astimezone(world.app.extensions["tillclub.jobs"].tz)
            wanted = {
                "test-count": local.strftime("%Y-%m-%dT%H:00"),
                "voucher-expiry": _hourly(local, 5),
                "ledger-expiry": _daily(local, 0, 15),
                "expiry-notice": _daily(local, 6, 0),
                "tier-review": _daily(local, 2, 30),
                "segments": _daily(local, 3, 0),
                "lgpd-retention": _daily(local, 4, 30),
            }  # fmt: skip
            for job, period in wanted.items():
                expected.setdefault(job, set()).add(period)

            def all_done(w: dict[str, str] = wanted) -> bool:
                done = {(r.job, r.period) for r in world.runs() if r.status == "done"}
                return all((j, p) in done for j, p in w.items())

            wait_for(all_done, 60, f"the periods of {at.isoformat()}", every=0.2)
        time.sleep(3)  # a few more ticks of both workers: nothing runs again
        rows = world.runs()
        assert {(r.job, r.period) for r in rows} == {
            (j, p) for j, ps in expected.items() for p in ps
        }
        assert all(r.status == "done" and r.attempts == 1 for r in rows), [
            (r.job, r.period, r.status, r.attempts, r.error) for r in rows
        ]
        # the test job's own log: each period's body ran once, not once per worker
        counted = Counter(p for p, _pid in world.run_log())
        assert counted == {p: 1 for p in expected["test-count"]}
        # Both workers served the queue to the end, and between them each run was started
        # exactly once (which worker takes a task is the queue's choice: one may take all).
        started = 0
        for w in world.workers:
            assert w.proc is not None
            assert w.proc.poll() is None, w.log.read_text()[-2000:]  # still running
            jobs_log = [m for m in w.messages() if m.get("logger") == "tillclub.jobs"]
            started += sum(m["msg"] == "job started" for m in jobs_log)
        assert started == len(rows)
    finally:
        world.close()
        if kind == "redis":
            r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
            for key in r.scan_iter(f"huey.*{queue}*"):
                r.delete(key)


def _hourly(local: dt.datetime, minute: int) -> str:
    fire = local.replace(minute=minute, second=0, microsecond=0)
    if fire > local:
        fire -= dt.timedelta(hours=1)
    return fire.strftime("%Y-%m-%dT%H:%M")


def _daily(local: dt.datetime, hour: int, minute: int) -> str:
    fire = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if fire > local:
        fire -= dt.timedelta(days=1)
    return fire.strftime("%Y-%m-%dT%H:%M")


def _vouchers(uow: SqlUnitOfWork, past: int, future: int) -> None:
    until_past = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    for i in range(past + future):
        add_voucher(
            uow, f"V{i:04d}", f"CODE{i:04d}", amount=Decimal("5.00"),
            valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            valid_until=until_past if i < past else dt.datetime(2027, 6, 1, tzinfo=dt.UTC),
        )  # fmt: skip


def _expired(world: JobWorld) -> dict[str, bool]:
    with new_session(world.app) as s:
        return {v.voucher_id: v.expired_at is not None for v in s.scalars(select(Voucher))}


def _expired_count(world: JobWorld) -> int:
    with new_session(world.app) as s:
        return s.scalar(select(func.count()).where(Voucher.expired_at.is_not(None))) or 0


def test_kill9_mid_run_20_times_completes_the_period_once(tmp_path: Path) -> None:
    off = {name: {"schedule": "off"} for name in BUILTIN}
    (tmp_path / "killed").mkdir()
    world = JobWorld(
        tmp_path / "killed", f"sqlite:///{tmp_path / 'killed.db'}",
        off | {"test-slow-vouchers": {"schedule": "0 3 * * *", "batch_size": 1}},
        jobs_lease_seconds=2,
    )  # fmt: skip
    world.env = world.env | {"TILLCLUB_TEST_SLOW_SECONDS": "0.1"}
    world.set_time(START)
    past, future = 300, 5
    _vouchers(SqlUnitOfWork.for_app(world.app), past, future)
    period = "2027-01-10T03:00"
    kills = 0
    try:
        done_before = 0
        for _ in range(20):
            w = world.worker()

            def progressed(before: int = done_before) -> int:
                n = _expired_count(world)
                return n if n > before else 0

            done_before = wait_for(progressed, 60, "the slow job to make progress", every=0.02)
            w.kill9()
            kills += 1
            (row,) = [r for r in world.runs() if r.job == "test-slow-vouchers"]
            assert row.status == "running", f"the job finished after {kills} kills"
        assert done_before < past
        world.env = world.env | {"TILLCLUB_TEST_SLOW_SECONDS": "0"}  # the last one, at speed
        world.worker()
        wait_for(lambda: [r for r in world.runs() if r.status == "done"], 60, "the last attempt")
    finally:
        world.close()
    rows = world.runs()
    assert [(r.job, r.period, r.status) for r in rows] == [("test-slow-vouchers", period, "done")]
    assert rows[0].attempts == kills + 1 == 21
    # the end state equals one clean, uninterrupted run on a fresh copy of the same data
    (tmp_path / "clean").mkdir()
    clean = JobWorld(tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}", off)
    _vouchers(SqlUnitOfWork.for_app(clean.app), past, future)
    os.environ["TILLCLUB_TEST_SLOW_SECONDS"] = "0"
    try:
        slow_vouchers(JobContext(clean.app, START, 1, period))
    finally:
        del os.environ["TILLCLUB_TEST_SLOW_SECONDS"]
    assert _expired(world) == _expired(clean)
    assert sum(_expired(world).values()) == past
    clean.close()


@pytest.mark.parametrize("command", [["worker"], ["run", "--port", "0"]])
def test_a_broken_schedule_stops_the_start_naming_the_key(
    tmp_path: Path, command: list[str]
) -> None:
    world = JobWorld(tmp_path, f"sqlite:///{tmp_path / 'server.db'}",
                     {"segments": {"schedule": "0 25 * * *"}})  # fmt: skip
    out = subprocess.run(
        [TILLCLUB, "server", "--config", str(world.config), *command],
        env=world.env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1
    assert "Error: jobs.segments.schedule: hour field '25': values must be 0-23" in out.stderr
    assert "Traceback" not in out.stderr
    world.close()


def test_server_run_starts_the_worker_and_stops_it(tmp_path: Path) -> None:
    world = JobWorld(tmp_path, f"sqlite:///{tmp_path / 'server.db'}", {})
    world.set_time(START)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [TILLCLUB, "server", "--config", str(world.config), "run", "--port", str(port)],
        env=world.env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    try:
        # the worker catches up every job's last period at start
        wait_for(lambda: {r.job for r in world.runs() if r.status == "done"} >= set(BUILTIN),
                 60, "the worker started by 'server run'", every=0.2)  # fmt: skip
        children = _children(proc.pid)
        assert len(children) == 1
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        wait_for(lambda: not Path(f"/proc/{children[0]}").exists(), 20, "the worker to stop")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        world.close()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def test_jobs_cli_lists_and_runs_through_the_same_record(tmp_path: Path) -> None:
    world = JobWorld(tmp_path, f"sqlite:///{tmp_path / 'server.db'}", {})
    world.set_time(START)
    _vouchers(SqlUnitOfWork.for_app(world.app), 3, 1)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TILLCLUB, "server", "--config", str(world.config), "jobs", *args],
            env=world.env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip

    out = cli("run", "voucher-expiry")
    assert out.returncode == 0, out.stderr
    assert '"status": "done", "processed": 3, "changed": 3' in out.stdout
    again = cli("run", "voucher-expiry")
    assert '"processed": 0, "changed": 0' in again.stdout
    listed = cli("list").stdout
    assert '"job": "voucher-expiry", "schedule": "5 * * * *"' in listed
    assert '"last_status": "done"' in listed
    assert cli("run", "nope").returncode == 1
    assert [r.requested_by for r in world.runs()] == ["cli", "cli"]
    assert runs.has_run(world.app, "voucher-expiry", world.runs()[0].period)
    world.close()
