"""Background jobs: the contract a job use case follows, the registry, the runs, the worker.

``init_app(app)`` checks the ``[jobs.*]`` schedules, the time zone and the retention periods
(a mistake stops the server and the worker at start, naming the key) and keeps the configured
jobs in ``app.extensions["tillclub.jobs"]``. :func:`due` is what a tick of the worker asks:
the scheduled periods not yet claimed, and the runs waiting for a worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Flask

from ..config import ConfigError


@dataclass(frozen=True)
class JobsState:
    jobs: dict[str, object]  # name -> registry.ConfiguredJob
    tz: ZoneInfo


def init_app(app: Flask) -> None:
    """:raises ConfigError: a broken ``[jobs.*]`` entry, time zone or retention period."""
    from ..services.retention import RULES, retention_days
    from .registry import configure

    jobs, tz = configure(app.config)
    _check_settings(app.config)
    for rule in RULES:
        try:
            retention_days(app.config, rule.config_key)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    app.extensions["tillclub.jobs"] = JobsState(dict(jobs), tz)


_RANGES = {
    "JOBS_WORKER_THREADS": (1, 64),
    "JOBS_TICK_SECONDS": (1, 60),
    "JOBS_LEASE_SECONDS": (1, 86400),
    "JOBS_MAX_ATTEMPTS": (1, 100),
    "JOBS_RETRY_SECONDS": (1, 86400),
}


def _check_settings(config: object) -> None:
    get = config.get  # type: ignore[attr-defined]
    storage = str(get("JOBS_STORAGE")).lower()
    if storage not in ("sqlite", "redis"):
        raise ConfigError(f"jobs_storage: expected 'sqlite' or 'redis', got {storage!r}")
    for key, (low, high) in _RANGES.items():
        value = get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{key.lower()}: expected a whole number {low}-{high}, got {value!r}")


def due(app: Flask, now: dt.datetime) -> list[tuple[str, str]]:
    """(job, period) pairs a worker should try to run now (claiming decides who does)."""
    from .registry import ConfiguredJob
    from .runs import has_run, waiting

    state: JobsState = app.extensions["tillclub.jobs"]
    out = list(waiting(app, now))
    for job in state.jobs.values():
        assert isinstance(job, ConfiguredJob)
        period = job.due_period(now, state.tz)
        if period is not None and not has_run(app, job.name, period):
            out.append((job.name, period))
    return [(j, p) for j, p in dict.fromkeys(out) if j in state.jobs]
