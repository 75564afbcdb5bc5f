"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: database reachable
and migrated to the code's head revision).

``/readyz`` also lists, under ``jobs.failing``, the background jobs whose latest run failed.
That is a detail for monitoring, not a readiness condition: a failing nightly job does not
take the web server out of the load balancer (docs/operations.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..db import get_engine
from ..migrate import head_revision
from ..services.uow import SqlUnitOfWork

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    engine = get_engine()
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return jsonify(
            status="not_ready", database="unreachable or not initialised", schema_revision=None
        ), 503
    if revision != head_revision():
        return jsonify(
            status="not_ready", database="needs 'tillclub server init-db'", schema_revision=revision
        ), 503
    return jsonify(
        status="ready", database="ok", schema_revision=revision, jobs=_jobs_detail()
    ), 200


def _jobs_detail() -> dict[str, object]:
    from ..jobs.status import failing

    try:
        with SqlUnitOfWork.for_app(current_app).reading() as s:
            return {"failing": failing(current_app, s, clock.now())}
    except SQLAlchemyError:
        return {"failing": None, "error": "job runs unreadable"}
