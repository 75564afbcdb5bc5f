"""The record of background job runs: one row per (job, period), claimed by INSERT.

The unique key on ``(job, period)`` is what makes a scheduled run happen once per period
however many workers tick: the first INSERT wins, the others find the row. ``lease_until`` is
pushed forward by the running worker's heartbeat; a row still ``running`` past its lease was
left by a worker that died (kill -9) and is taken over by the next tick. ``claim`` changes
with every take-over so a late, presumed-dead worker cannot overwrite the new attempt's result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))  # "2026-12-04T03:00" or "manual:<id>"
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(64))  # the current attempt's token
    worker: Mapped[str | None] = mapped_column(String(128))  # host:pid of the current attempt
    requested_by: Mapped[str | None] = mapped_column(String(254))  # "run now": who asked
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]  # a failed run is retried from then on
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int | None] = mapped_column(Integer)
    changed: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("job", "period"),
        Index("ix_job_runs_job_created", "job", "created_at"),
        Index("ix_job_runs_status", "status"),
    )
