"""The huey side of the worker, in-process: where the queue lives, the tick enqueuing due
periods, and a failed run handed back to huey with the backoff delay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from server.jobs.worker import RUN_TASK, TICK_TASK, attach, make_huey, sqlite_path

from . import testjobs  # noqa: F401  (registers the test jobs)


def test_the_sqlite_queue_lives_beside_the_database() -> None:
    cfg = {"DATABASE_URL": "sqlite:////var/lib/tillclub/server.db", "JOBS_SQLITE_PATH": ""}
    assert sqlite_path(cfg) == "/var/lib/tillclub/server.jobs.db"
    assert sqlite_path(cfg | {"JOBS_SQLITE_PATH": "/srv/q.db"}) == "/srv/q.db"


@pytest.fixture
def queued_app(make_app: Callable[..., Flask], app: Flask, tmp_path: Path) -> Flask:
    return make_app(
        JOBS_SQLITE_PATH=str(tmp_path / "q.db"), JOBS_RETRY_SECONDS=7,
        JOBS_EXTRA_MODULES=["tests.server.jobs.testjobs"],
    )  # fmt: skip


def test_the_tick_enqueues_one_run_per_due_period(queued_app: Flask) -> None:
    huey = make_huey(queued_app.config)
    attach(queued_app, huey)
    (tick,) = huey.read_periodic(None)  # what huey's scheduler enqueues every tick
    assert tick.name == TICK_TASK
    huey.execute(tick)
    pending = [t.args for t in huey.pending()]
    assert sorted(job for job, _period in pending) == [
        "expiry-notice", "ledger-expiry", "lgpd-retention", "segments", "tier-review",
        "voucher-expiry",
    ]  # fmt: skip
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    huey.execute(huey.read_periodic(None)[0])
    assert huey.pending_count() == 0  # every period claimed and done: nothing more to run


def test_a_failed_run_is_rescheduled_by_huey_after_the_backoff(
    queued_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("TILLCLUB_TEST_FLAKY_FILE", str(flag))
    huey = make_huey(queued_app.config)
    run_job = attach(queued_app, huey)
    assert run_job.name == RUN_TASK
    run_job("test-flaky", "2026-12-04T03:00")
    huey.execute(huey.dequeue())
    (retry,) = huey.scheduled()
    assert retry.args == ("test-flaky", "2026-12-04T03:00")
    assert retry.eta is not None


def test_unknown_storage_is_a_config_error(queued_app: Flask) -> None:
    from server.config import ConfigError

    with pytest.raises(ConfigError, match="jobs_storage"):
        make_huey(dict(queued_app.config) | {"JOBS_STORAGE": "rabbit"})
