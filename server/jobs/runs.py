"""Claim, run and record one job run: exactly one worker completes each (job, period).

A run is claimed by INSERTing its ``job_runs`` row (the unique key on job and period lets one
INSERT win), or by taking over a row that is waiting for a worker: queued by "run now",
``running`` past its lease (its worker died), or ``failed`` with a retry due. Every claim gets
a fresh token; the heartbeat, the result and the error are written only while the token is
still the row's, so a worker presumed dead that wakes up cannot overwrite a newer attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask
from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..db import get_engine
from ..models.jobs import DONE, FAILED, QUEUED, RUNNING, JobRun
from .contract import JobContext, JobReport

log = logging.getLogger("tillclub.jobs")
T = cast(Table, JobRun.__table__)


@dataclass(frozen=True)
class Outcome:
    """What :func:`run` did: ``skipped`` when another worker has (or had) the period."""

    job: str
    period: str
    status: str  # done | failed | skipped
    attempts: int = 0
    report: JobReport | None = None
    error: str | None = None
    retry_in: float | None = None  # seconds until a failed run may be retried


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _settings(app: Flask) -> tuple[int, int, int]:
    c = app.config
    return int(c["JOBS_LEASE_SECONDS"]), int(c["JOBS_MAX_ATTEMPTS"]), int(c["JOBS_RETRY_SECONDS"])


def claim(app: Flask, job: str, period: str, now: dt.datetime) -> tuple[int, str, int] | None:
    """Take the run of ``job`` for ``period``: (row id, claim token, attempt) or None."""
    lease, max_attempts, _retry = _settings(app)
    token, me = uuid.uuid4().hex, worker_id()
    until = now + dt.timedelta(seconds=lease)
    engine = get_engine(app)
    try:
        with engine.begin() as conn:
            row_id = conn.execute(
                insert(T)
                .values(
                    job=job, period=period, status=RUNNING, attempts=1, claim=token, worker=me,
                    created_at=now, started_at=now, lease_until=until,
                )
                .returning(T.c.id)
            ).scalar_one()  # fmt: skip
        return row_id, token, 1
    except IntegrityError:
        pass  # the period's row exists: take it over only if it waits for a worker
    takeover = or_(
        T.c.status == QUEUED,
        and_(T.c.status == RUNNING, T.c.lease_until < now),
        and_(T.c.status == FAILED, T.c.attempts < max_attempts, T.c.next_attempt_at <= now),
    )
    with engine.begin() as conn:
        got = conn.execute(
            update(T)
            .where(T.c.job == job, T.c.period == period, takeover)
            .values(
                status=RUNNING, attempts=T.c.attempts + 1, claim=token, worker=me,
                started_at=now, finished_at=None, lease_until=until, next_attempt_at=None,
            )
            .returning(T.c.id, T.c.attempts)
        ).first()  # fmt: skip
    return None if got is None else (got[0], token, got[1])


class _Heartbeat(threading.Thread):
    """Pushes the lease forward while the job runs, so no other worker takes it over."""

    def __init__(self, app: Flask, row_id: int, token: str) -> None:
        super().__init__(name=f"job-heartbeat-{row_id}", daemon=True)
        self.app, self.row_id, self.token = app, row_id, token
        self.stopped = threading.Event()

    def run(self) -> None:
        lease = int(self.app.config["JOBS_LEASE_SECONDS"])
        while not self.stopped.wait(max(lease / 3, 0.2)):
            try:
                with get_engine(self.app).begin() as conn:
                    conn.execute(
                        update(T)
                        .where(T.c.id == self.row_id, T.c.claim == self.token)
                        .values(lease_until=clock.now() + dt.timedelta(seconds=lease))
                    )
            except Exception:  # a missed beat only shortens the lease
                log.warning("job heartbeat failed", extra={"run_id": self.row_id})


def _finish(app: Flask, row_id: int, token: str, values: dict[str, Any]) -> bool:
    with get_engine(app).begin() as conn:
        result = conn.execute(
            update(T).where(T.c.id == row_id, T.c.claim == token).values(**values)
        )
    return bool(result.rowcount)


def run(app: Flask, job: str, period: str) -> Outcome:
    """Run ``job`` for ``period`` if no other worker has it, and record the result.

    The job's exception is recorded (and a retry planned with exponential backoff), never
    raised: the caller decides how to retry from :attr:`Outcome.retry_in`.
    """
    configured = app.extensions["tillclub.jobs"].jobs
    spec = configured[job]
    now = clock.now()
    claimed = claim(app, job, period, now)
    if claimed is None:
        log.debug("job skipped", extra={"job": job, "period": period})
        return Outcome(job, period, "skipped")
    row_id, token, attempt = claimed
    log.info("job started", extra={"job": job, "period": period, "attempt": attempt})
    beat = _Heartbeat(app, row_id, token)
    beat.start()
    started = time.perf_counter()
    try:
        ctx = JobContext(app=app, now=now, batch_size=spec.batch_size, period=period)
        report = spec.spec.function(ctx)
    except Exception as exc:
        beat.stopped.set()
        return _failed(app, job, period, row_id, token, attempt, exc, started)
    beat.stopped.set()
    ms = int((time.perf_counter() - started) * 1000)
    _finish(
        app, row_id, token,
        {"status": DONE, "finished_at": clock.now(), "duration_ms": ms, "lease_until": None,
         "processed": report.processed, "changed": report.changed,
         "summary": report.summary()[:500], "detail": report.detail, "error": None},
    )  # fmt: skip
    log.info("job done", extra={"job": job, "period": period, "ms": ms})
    return Outcome(job, period, DONE, attempt, report)


def _failed(
    app: Flask, job: str, period: str, row_id: int, token: str, attempt: int,
    exc: Exception, started: float,
) -> Outcome:  # fmt: skip
    _lease, max_attempts, retry = _settings(app)
    ms = int((time.perf_counter() - started) * 1000)
    # The type and message only: a traceback's locals could hold member data.
    error = f"{type(exc).__name__}: {exc}"[:2000]
    delay = float(retry * 2 ** (attempt - 1)) if attempt < max_attempts else None
    now = clock.now()
    _finish(
        app, row_id, token,
        {"status": FAILED, "finished_at": now, "duration_ms": ms, "lease_until": None,
         "error": error, "summary": None,
         "next_attempt_at": None if delay is None else now + dt.timedelta(seconds=delay)},
    )  # fmt: skip
    log.error("job failed", extra={"job": job, "period": period, "attempt": attempt})
    return Outcome(job, period, FAILED, attempt, None, error, delay)


def request_run(
    session: Any, job: str, actor: str, now: dt.datetime, *, key: str | None = None
) -> str:
    """Queue a "run now" of ``job`` (a ``queued`` row in ``session``); returns its period.

    :param key: the period's id (``manual:<key>``) when the job reads what to do from it (an
        import names its uploaded file); default a random one.

    .. versionchanged:: 0.1
        ``key``.
    """
    period = f"manual:{key or uuid.uuid4().hex[:12]}"
    session.add(
        JobRun(job=job, period=period, status=QUEUED, attempts=0, requested_by=actor,
               created_at=now)
    )  # fmt: skip
    return period


def waiting(app: Flask, now: dt.datetime) -> list[tuple[str, str]]:
    """Runs that wait for a worker: queued, lease expired, or a retry due."""
    _lease, max_attempts, _retry = _settings(app)
    with get_engine(app).connect() as conn:
        rows = conn.execute(
            select(T.c.job, T.c.period).where(
                or_(
                    T.c.status == QUEUED,
                    and_(T.c.status == RUNNING, T.c.lease_until < now),
                    and_(
                        T.c.status == FAILED,
                        T.c.attempts < max_attempts,
                        T.c.next_attempt_at <= now,
                    ),
                )
            )
        ).all()
    return [(j, p) for j, p in rows]


def has_run(app: Flask, job: str, period: str) -> bool:
    with get_engine(app).connect() as conn:
        return (
            conn.execute(select(T.c.id).where(T.c.job == job, T.c.period == period)).first()
            is not None
        )
