"""The worker: a huey consumer that ticks the schedule and runs jobs through ``runs.run``.

Huey (https://huey.readthedocs.io) is the task library: a small, well-kept queue with a SQLite
storage (the embedded default for one shop: a file beside the server's database) and a Redis
storage (a chain: several workers on several machines share one queue), a scheduler for
periodic tasks and delayed retries. Huey only moves messages; what ran is decided in the
database (``job_runs``), so a lost message, a duplicate tick from a second worker or a worker
killed mid-run never changes how often a period completes.

Two tasks: ``tillclub.tick`` (periodic, every ``jobs_tick_seconds``) enqueues one
``tillclub.run_job`` per due (job, period); ``run_job`` claims and runs it, and when the job
failed asks huey to retry after the backoff (``RetryTask``). The worker process also ticks
once at start, so a period missed while no worker ran is caught up at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer, Scheduler
from huey.exceptions import RetryTask
from sqlalchemy.engine import make_url

from .. import clock
from ..config import ConfigError

log = logging.getLogger("tillclub.jobs")
RUN_TASK, TICK_TASK = "tillclub.run_job", "tillclub.tick"


def sqlite_path(config: dict[str, Any] | Any) -> str:
    """Where the SQLite queue lives: ``jobs_sqlite_path``, or beside the SQLite database."""
    if config.get("JOBS_SQLITE_PATH"):
        return str(config["JOBS_SQLITE_PATH"])
    url = make_url(str(config["DATABASE_URL"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database))
        return str(db.with_name(db.stem + ".jobs.db"))
    return "tillclub-jobs.db"


def make_huey(config: dict[str, Any] | Any) -> Huey:
    """The queue of ``jobs_storage``: SQLite (one shop) or Redis (a chain).

    :raises ConfigError: an unknown storage name.
    """
    storage = str(config["JOBS_STORAGE"]).lower()
    name = str(config["JOBS_QUEUE_NAME"])
    if storage == "sqlite":
        return SqliteHuey(name, filename=sqlite_path(config), results=False, utc=True)
    if storage == "redis":
        return RedisHuey(name, url=str(config["JOBS_REDIS_URL"]), results=False, utc=True)
    raise ConfigError(f"jobs_storage: expected 'sqlite' or 'redis', got {storage!r}")


def attach(app: Flask, huey: Huey) -> Any:
    """Register the tick and run tasks on ``huey`` for ``app``; returns the run task."""
    from . import due
    from .runs import run

    @huey.task(name=RUN_TASK)  # type: ignore[untyped-decorator]
    def run_job(job: str, period: str) -> None:
        if job not in app.extensions["tillclub.jobs"].jobs:
            log.warning("unknown job in queue", extra={"job": job})
            return
        outcome = run(app, job, period)
        if outcome.status == "failed" and outcome.retry_in is not None:
            raise RetryTask(delay=outcome.retry_in)

    @huey.periodic_task(crontab(), name=TICK_TASK)  # type: ignore[untyped-decorator]
    def tick() -> None:
        enqueue_due(app, run_job)

    def enqueue_due(app_: Flask, task: Any) -> None:
        for job, period in due(app_, clock.now()):
            task(job, period)

    run_job.enqueue_due = lambda: enqueue_due(app, run_job)
    return run_job


def queue_for(app: Flask) -> Any:
    """The run task bound to this app's queue (built once; the web app enqueues "run now")."""
    task = app.extensions.get("tillclub.jobs.task")
    if task is None:
        task = attach(app, make_huey(app.config))
        app.extensions["tillclub.jobs.task"] = task
    return task


def _consumer_class(tick_seconds: int) -> type[Consumer]:
    """Huey's consumer whose scheduler checks periodic tasks every ``tick_seconds``.

    Huey checks them once a minute; the tick may be shorter for drills and tests (each tick is
    one indexed query per job) and is never longer, so a one-minute schedule is kept.
    """

    class TickScheduler(Scheduler):  # type: ignore[misc]
        periodic_task_seconds = tick_seconds

    class TickConsumer(Consumer):  # type: ignore[misc]
        scheduler_class = TickScheduler

    return TickConsumer


def serve(app: Flask) -> None:
    """Run the consumer in this process until SIGTERM/SIGINT (``tillclub server worker``)."""
    huey = make_huey(app.config)
    task = attach(app, huey)
    app.extensions["tillclub.jobs.task"] = task
    threads = int(app.config["JOBS_WORKER_THREADS"])
    tick = min(60, max(1, int(app.config["JOBS_TICK_SECONDS"])))
    consumer = _consumer_class(tick)(
        huey, workers=threads, worker_type="thread", periodic=True, scheduler_interval=1,
        check_worker_health=True, max_delay=1.0,  # an idle SQLite queue is polled every second
    )  # fmt: skip
    task.enqueue_due()  # catch up at start
    consumer.run()
