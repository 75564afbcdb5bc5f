"""Exportar: the chain's full export (CSV and Parquet in one zip), made by the ``export`` job,
and the list of past exports with their downloads. Admins only (``exports.run``): the archive
holds every member's personal data, CPFs included. Asking and downloading are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...jobs import runs
from ...jobs.worker import queue_for
from ...models.jobs import JobRun
from ...services.exports import run as export_run
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require


@dataclass(frozen=True)
class PastExport:
    run: JobRun
    file: str
    rows: dict[str, Any]

    @property
    def ready(self) -> bool:
        return self.run.status == "done"


@bp.get("/exports", endpoint="exports")
@require(Perm.EXPORTS_RUN)
def exports_page() -> str:
    with uow().reading() as s:
        rows = list(
            s.scalars(
                select(JobRun)
                .where(JobRun.job == export_run.JOB)
                .order_by(JobRun.id.desc())
                .limit(50)
            )
        )
        s.expunge_all()
    past = [
        PastExport(r, export_run.file_name(r.period), (r.detail or {}).get("rows", {}))
        for r in rows
    ]
    return render_template("admin/exports.html", past=past)


@bp.post("/exports", endpoint="exports_run")
@require(Perm.EXPORTS_RUN)
def exports_run() -> Response:
    who = current().email
    with uow() as u:
        period = runs.request_run(u.session, export_run.JOB, who, clock.now())
        u.audit("admin", who, "export.request", "export", export_run.file_name(period),
                period=period)  # fmt: skip
        u.commit()
    try:
        queue_for(current_app)(export_run.JOB, period)
    except Exception:  # the queue is down: the row stays queued and the next tick takes it
        current_app.logger.warning("could not enqueue an export", extra={"job": export_run.JOB})
    flash(_("Export queued; the worker writes it in a moment."), "ok")
    return redirect(url_for("admin.exports"))


@bp.get("/exports/<int:run_id>/download", endpoint="exports_download")
@require(Perm.EXPORTS_RUN)
def exports_download(run_id: int) -> Response:
    with uow().reading() as s:
        row = s.get(JobRun, run_id)
    if row is None or row.job != export_run.JOB or row.status != "done":
        abort(404)
    name = export_run.file_name(row.period)
    path = export_run.exports_dir(current_app.config) / name
    if not path.exists():
        abort(404)
    with uow() as u:
        u.audit("admin", current().email, "export.download", "export", name,
                sha256=(row.detail or {}).get("sha256"))  # fmt: skip
        u.commit()
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
