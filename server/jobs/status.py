"""What the Tarefas page, ``jobs list`` and ``/readyz`` show about each job.

For every configured job: its schedule, the last finished run (status, duration, result),
the next fire time, the recent failures, and whether it is *failing* (its latest finished
run failed): a failing job is listed in ``/readyz`` details and at the top of the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.jobs import DONE, FAILED, QUEUED, RUNNING, JobRun
from .registry import ConfiguredJob

RECENT = 10


@dataclass(frozen=True)
class JobStatus:
    job: ConfiguredJob
    next_run: dt.datetime | None
    last: JobRun | None  # the latest finished run (done or failed)
    active: JobRun | None  # queued or running now
    failures: list[JobRun]  # recent failed runs, newest first
    recent: list[JobRun]

    @property
    def failing(self) -> bool:
        return self.last is not None and self.last.status == FAILED


def statuses(app: Flask, session: Session, now: dt.datetime) -> list[JobStatus]:
    state = app.extensions["tillclub.jobs"]
    out = []
    for job in state.jobs.values():
        recent = list(
            session.scalars(
                select(JobRun)
                .where(JobRun.job == job.name)
                .order_by(JobRun.created_at.desc(), JobRun.id.desc())
                .limit(RECENT)
            )
        )
        finished = [r for r in recent if r.status in (DONE, FAILED)]
        finished.sort(key=lambda r: r.finished_at or r.created_at, reverse=True)
        out.append(
            JobStatus(
                job=job,
                next_run=job.next_fire(now, state.tz),
                last=finished[0] if finished else None,
                active=next((r for r in recent if r.status in (QUEUED, RUNNING)), None),
                failures=[r for r in recent if r.status == FAILED],
                recent=recent,
            )
        )
    return out


def failing(app: Flask, session: Session, now: dt.datetime) -> list[dict[str, object]]:
    """The failing jobs, for ``/readyz`` details: name, period, attempts, error."""
    return [
        {
            "job": s.job.name,
            "period": s.last.period,
            "attempts": s.last.attempts,
            "error": (s.last.error or "")[:200],
        }
        for s in statuses(app, session, now)
        if s.failing and s.last is not None
    ]
