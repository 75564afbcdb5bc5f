"""What a background job is: a use case that is safe to run twice, works in batches over an
index, and reports what it did. The task library only schedules and retries it.

A job function lives with its concept in ``server/services/<concept>.py`` and has the shape
:data:`JobFunction`; the registry (``server/jobs/registry.py``) names it, gives it a default
schedule and a description, and the worker runs it. A run that is killed half-way is simply
run again: every write a job makes is keyed so that a second run finds it done (an expiry
entry's id is derived from the lot it expires, a tier change from the member and period...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class JobContext:
    """What a run gets: the app (config, ``SqlUnitOfWork.for_app``), the clock's reading at the
    start of the run, the batch size, and the period the run is for (``"2026-12-04T03:00"``
    for a scheduled run, ``"manual:<run id>"`` for "run now")."""

    app: Flask
    now: dt.datetime
    batch_size: int
    period: str


@dataclass
class JobReport:
    """What a run did: rows looked at, rows written, and job-specific figures."""

    processed: int = 0
    changed: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.detail.items()))
        base = f"processed={self.processed} changed={self.changed}"
        return f"{base}, {extra}" if extra else base


JobFunction = Callable[[JobContext], JobReport]
