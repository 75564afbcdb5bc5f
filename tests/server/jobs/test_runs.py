"""One run per (job, period): the INSERT claim, take-over after a lost lease, retries with
backoff, and the claim token that keeps a presumed-dead worker from overwriting a newer run.
On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from server.db import get_engine, new_session
from server.jobs import due, runs
from server.models.jobs import DONE, FAILED, QUEUED, RUNNING, JobRun

from . import testjobs  # noqa: F401  (registers the test jobs)

MODULES = ["tests.server.jobs.testjobs"]


@pytest.fixture
def jobs_app(make_app: Callable[..., Flask], app: Flask) -> Flask:
    # ``app`` empties the tables; this one adds the test jobs and short timings.
    return make_app(
        JOBS_EXTRA_MODULES=MODULES, JOBS_LEASE_SECONDS=30, JOBS_RETRY_SECONDS=10,
        JOBS_MAX_ATTEMPTS=3,
    )  # fmt: skip


def rows(app: Flask, job: str) -> list[JobRun]:
    with new_session(app) as s:
        out = list(s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))
        s.expunge_all()
    return out


def test_a_period_runs_once_and_a_second_worker_skips_it(
    jobs_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "runs.log"
    monkeypatch.setenv("TILLCLUB_TEST_JOB_LOG", str(log))
    first = runs.run(jobs_app, "test-count", "2026-12-04T03:00")
    second = runs.run(jobs_app, "test-count", "2026-12-04T03:00")
    assert (first.status, second.status) == (DONE, "skipped")
    assert log.read_text().count("2026-12-04T03:00") == 1
    (row,) = rows(jobs_app, "test-count")
    assert (row.status, row.attempts, row.summary) == (DONE, 1, "processed=1 changed=1")
    assert row.duration_ms is not None
    assert row.finished_at is not None


def test_a_running_row_past_its_lease_is_taken_over_with_a_new_claim(jobs_app: Flask) -> None:
    now = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)
    got = runs.claim(jobs_app, "test-count", "p1", now)
    assert got is not None
    assert got[2] == 1
    assert runs.claim(jobs_app, "test-count", "p1", now + dt.timedelta(seconds=29)) is None
    later = runs.claim(jobs_app, "test-count", "p1", now + dt.timedelta(seconds=31))
    assert later is not None
    assert later[2] == 2
    assert later[1] != got[1]
    # the first worker wakes up: its result is not recorded over the new attempt's
    assert not runs._finish(jobs_app, got[0], got[1], {"status": DONE})
    assert rows(jobs_app, "test-count")[0].status == RUNNING


def test_a_failure_is_recorded_and_retried_with_backoff_until_it_works(
    jobs_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("TILLCLUB_TEST_FLAKY_FILE", str(flag))
    out = runs.run(jobs_app, "test-flaky", "p")
    assert out.status == FAILED
    assert out.retry_in == 10
    assert out.error == "RuntimeError: the flaky job failed on purpose"
    (row,) = rows(jobs_app, "test-flaky")
    assert row.status == FAILED
    assert row.next_attempt_at is not None
    assert runs.run(jobs_app, "test-flaky", "p").status == "skipped"  # not before the backoff
    _age(jobs_app, seconds=11)
    second = runs.run(jobs_app, "test-flaky", "p")
    assert second.status == FAILED
    assert second.retry_in == 20
    _age(jobs_app, seconds=21)
    flag.unlink()
    third = runs.run(jobs_app, "test-flaky", "p")
    assert third.status == DONE
    assert third.attempts == 3
    (row,) = rows(jobs_app, "test-flaky")
    assert (row.status, row.error) == (DONE, None)


def test_retries_stop_at_max_attempts(
    jobs_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("TILLCLUB_TEST_FLAKY_FILE", str(flag))
    for _ in range(3):
        runs.run(jobs_app, "test-flaky", "p")
        _age(jobs_app, seconds=100)
    last = rows(jobs_app, "test-flaky")[0]
    assert (last.status, last.attempts) == (FAILED, 3)
    assert runs.run(jobs_app, "test-flaky", "p").status == "skipped"


def test_due_lists_unclaimed_scheduled_periods_and_waiting_runs(jobs_app: Flask) -> None:
    from server import clock

    now = clock.now()
    listed = dict(due(jobs_app, now))
    assert set(listed) == {
        "ledger-expiry", "expiry-notice", "tier-review", "segments", "voucher-expiry",
        "lgpd-retention",
    }  # fmt: skip
    for job, period in listed.items():
        runs.run(jobs_app, job, period)
    assert due(jobs_app, now) == []
    with new_session(jobs_app) as s, s.begin():
        period = runs.request_run(s, "test-count", "ana@hq.example", now)
    assert due(jobs_app, now) == [("test-count", period)]
    assert rows(jobs_app, "test-count")[0].status == QUEUED


def _age(app: Flask, *, seconds: int) -> None:
    """Move every run's retry and lease times into the past (instead of waiting)."""
    delta = dt.timedelta(seconds=seconds)
    with get_engine(app).begin() as conn:
        for r in conn.execute(select(JobRun.id, JobRun.next_attempt_at, JobRun.lease_until)):
            conn.execute(
                update(JobRun)
                .where(JobRun.id == r.id)
                .values(
                    next_attempt_at=r.next_attempt_at and r.next_attempt_at - delta,
                    lease_until=r.lease_until and r.lease_until - delta,
                )
            )
