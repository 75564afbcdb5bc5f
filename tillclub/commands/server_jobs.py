"""``tillclub server worker`` and ``tillclub server jobs list|run``: the background jobs.

``worker`` runs the huey consumer in the foreground (a real process; stop it with SIGTERM or
Ctrl-C). ``jobs list`` prints each job's schedule, last run and next run; ``jobs run NAME``
runs one job once, now, in this process, through the same claim and record path as the
worker (a ``manual:<id>`` period), and prints its report. Both read the same ``--config``
file and ``TILLCLUB_SERVER_*`` variables as the server.
"""

from __future__ import annotations

import json
from typing import Any

import click


def _app(ctx: click.Context) -> Any:
    from server import create_app
    from server.config import ConfigError, check_secrets, load_config

    obj = ctx.find_object(dict) or {}
    try:
        config = load_config(obj.get("config_path"))
        check_secrets(config)
        return create_app(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("worker")
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run the background job worker (huey consumer) until stopped.

    One shop: the queue is a SQLite file beside the database. A chain: set
    jobs_storage = "redis" and start one worker per machine; each period still runs once.
    """
    from server.jobs.worker import serve

    app = _app(ctx)
    serve(app)


@click.group("jobs")
def jobs() -> None:
    """List the background jobs or run one now."""


@jobs.command("list")
@click.pass_context
def list_jobs(ctx: click.Context) -> None:
    """One JSON line per job: schedule, batch size, last run, next run, failing."""
    from server import clock
    from server.db import new_session
    from server.jobs.status import statuses

    app = _app(ctx)
    now = clock.now()
    with new_session(app) as s:
        for st in statuses(app, s, now):
            last = st.last
            click.echo(
                json.dumps(
                    {
                        "job": st.job.name,
                        "schedule": st.job.schedule.text if st.job.schedule else "off",
                        "batch_size": st.job.batch_size,
                        "last_status": last.status if last else None,
                        "last_period": last.period if last else None,
                        "last_duration_ms": last.duration_ms if last else None,
                        "last_result": (last.summary or last.error) if last else None,
                        "next_run": st.next_run.isoformat() if st.next_run else None,
                        "failing": st.failing,
                        "description": st.job.spec.description_en,
                    },
                    ensure_ascii=False,
                )
            )


@jobs.command("run")
@click.argument("name")
@click.pass_context
def run_job(ctx: click.Context, name: str) -> None:
    """Run job NAME once now and print its report (exit status 1 if it failed)."""
    from server import clock
    from server.jobs import runs
    from server.services.uow import SqlUnitOfWork

    app = _app(ctx)
    known = app.extensions["tillclub.jobs"].jobs
    if name not in known:
        raise click.ClickException(f"unknown job {name!r} (known jobs: {', '.join(sorted(known))})")
    with SqlUnitOfWork.for_app(app) as uow:
        period = runs.request_run(uow.session, name, "cli", clock.now())
        uow.audit("cli", "cli", "jobs.run", "job", name, period=period)
        uow.commit()
    outcome = runs.run(app, name, period)
    line: dict[str, Any] = {"job": name, "period": period, "status": outcome.status}
    if outcome.report is not None:
        line |= {"processed": outcome.report.processed, "changed": outcome.report.changed,
                 "detail": outcome.report.detail}  # fmt: skip
    if outcome.error:
        line["error"] = outcome.error
    click.echo(json.dumps(line, ensure_ascii=False, default=str))
    if outcome.status != "done":
        ctx.exit(1)
