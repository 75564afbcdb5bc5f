"""Tarefas (background jobs): schedule, last run, next run and failures; "run now" for admins.

Reading needs ``jobs.read`` (admins and auditors); "run now" needs ``jobs.run`` (admins only).
"Run now" queues a run (a ``queued`` row, ``manual:<id>`` period) and its audit row in one
unit of work, then hands it to the worker's queue; the worker claims it like any other run.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...i18n.web import language
from ...jobs import runs
from ...jobs.status import statuses
from ...jobs.worker import queue_for
from ...services.roles import Perm
from ...services.uow import SqlUnitOfWork
from .. import bp, uow
from ..access import current, require


@bp.get("/jobs", endpoint="jobs")
@require(Perm.JOBS_READ)
def jobs_page() -> str:
    state = current_app.extensions["tillclub.jobs"]
    now = clock.now()
    with uow().reading() as s:
        rows = statuses(current_app, s, now)
        s.expunge_all()
    pt = language() == "pt-BR"

    def local(value: object) -> object:
        return None if value is None else value.astimezone(state.tz)  # type: ignore[attr-defined]

    return render_template(
        "admin/jobs.html",
        rows=rows,
        tz=str(state.tz),
        local=local,
        describe=lambda st: st.job.spec.description_pt if pt else st.job.spec.description_en,
        failing=[st for st in rows if st.failing],
    )


@bp.post("/jobs/<name>/run", endpoint="jobs_run")
@require(Perm.JOBS_RUN)
def jobs_run(name: str) -> Response:
    if name not in current_app.extensions["tillclub.jobs"].jobs:
        abort(404)
    who = current().email
    uow = SqlUnitOfWork.for_app(current_app)
    with uow:
        period = runs.request_run(uow.session, name, who, clock.now())
        uow.audit("admin", who, "jobs.run", "job", name, period=period)
        uow.commit()
    try:
        queue_for(current_app)(name, period)
    except Exception:  # the queue is down: the row stays queued and the next tick takes it
        current_app.logger.warning("could not enqueue a run now", extra={"job": name})
    flash(_("{job}: run queued; the worker starts it in a moment.", job=name), "ok")
    return redirect(url_for("admin.jobs"))
