"""The full export as a use case (CLI) and as a background job (the admin UI's Exportar page).

One read-only session (a snapshot: REPEATABLE READ on PostgreSQL, a deferred transaction on
SQLite's WAL) reads every table, so the archive is one consistent moment of the chain even
while the tills keep pushing. The audit row (who, when, file name, SHA-256, rows per table,
whether CPFs are in it) is written through the one audit writer once the archive is complete.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from ... import clock
from ...db import readonly_session
from ...jobs.contract import JobContext, JobReport
from ...models.jobs import JobRun
from ...security import CpfCipher
from ..uow import SqlUnitOfWork
from .archive import ExportReport, Progress, write_archive
from .tables import Source

JOB = "export"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def exports_dir(config: Any) -> Path:
    """``EXPORTS_DIR``, or ``<database name>.exports`` beside a SQLite database."""
    if config.get("EXPORTS_DIR"):
        return Path(str(config["EXPORTS_DIR"]))
    url = make_url(str(config["DATABASE_URL"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database))
        return db.with_name(db.stem + ".exports")
    return Path("tillclub-exports")


def export_chain(
    app: Flask,
    out: Path,
    *,
    actor_type: str,
    actor_id: str,
    with_cpf: bool = True,
    now: dt.datetime | None = None,
    batch_rows: int = 10_000,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the full export of the chain to ``out`` and audit it (``export.full``).

    :param with_cpf: False leaves the CPF column empty (a copy for analysts).
    :param batch_rows: rows per Parquet row group; the database is read in pages of at most
        5,000 rows.
    :raises OSError: the archive cannot be written; nothing is audited then.
    """
    at = now or clock.now()
    cipher: CpfCipher | None = app.extensions["tillclub.cpf"] if with_cpf else None
    out.parent.mkdir(parents=True, exist_ok=True)
    with readonly_session(app) as s, s.begin():
        report = write_archive(Source(s, cipher, at), out, batch_rows=batch_rows, progress=progress)
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        uow.audit(
            actor_type, actor_id, "export.full", "export", out.name,
            sha256=report.sha256, size=report.size, rows=report.rows, cpf=report.cpf,
            notes=report.notes, exported_at=at.isoformat(),
        )  # fmt: skip
        uow.commit()
    return report


def file_name(period: str) -> str:
    """The archive for a run of ``period`` (``manual:ab12``: ``tillclub-export-ab12.zip``)."""
    tag = _SAFE.sub("-", period.split(":", 1)[-1]).strip("-") or "run"
    return f"tillclub-export-{tag}.zip"


def export_job(ctx: JobContext) -> JobReport:
    """The ``export`` job: one archive per run, in :func:`exports_dir`, named after the period.

    Safe to run twice: a second run of the same period writes the same file again (the
    archive is renamed into place only when complete). The requester of a "run now" is the
    audit's actor.
    """
    with SqlUnitOfWork.for_app(ctx.app).reading() as s:
        who = s.scalar(
            select(JobRun.requested_by).where(JobRun.job == JOB, JobRun.period == ctx.period)
        )
    actor_type, actor_id = ("admin", who) if who else ("job", f"job:{JOB}:{ctx.period}")
    out = exports_dir(ctx.app.config) / file_name(ctx.period)
    report = export_chain(
        ctx.app, out, actor_type=actor_type, actor_id=actor_id, now=ctx.now,
        batch_rows=max(1000, ctx.batch_size),
    )  # fmt: skip
    return JobReport(
        processed=sum(report.rows.values()),
        changed=0,
        detail={"file": out.name, "sha256": report.sha256, "size": report.size,
                "rows": report.rows, "cpf": report.cpf},
    )  # fmt: skip
