"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: database reachable
and migrated to the code's head revision)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..db import get_engine
from ..migrate import head_revision

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
    return jsonify(status="ready", database="ok", schema_revision=revision), 200
