"""Push: ``POST /api/v1/events`` applies a batch of till events exactly once."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ApiError, ErrorCode
from ..limits import limiter
from ..services.ingest import apply_batch, record_rejections
from ..services.uow import SqlUnitOfWork
from ..services.vouchers import load_vouchers
from .auth import by_terminal, terminal_limit, terminal_required
from .request import json_body
from .schemas import EventsRequest

bp = Blueprint("events", __name__, url_prefix="/api/v1")
log = logging.getLogger("tillclub.server.events")


@bp.post("/events")
@limiter.limit(terminal_limit, key_func=by_terminal)
@terminal_required
def push_events() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body = json_body(EventsRequest)
    if len(body.events) > app.config["EVENTS_MAX_BATCH"]:
        raise ApiError(
            400,
            ErrorCode.VALIDATION_FAILED,
            f"at most {app.config['EVENTS_MAX_BATCH']} events per push",
        )
    result = apply_batch(
        SqlUnitOfWork.for_app(app),
        g.terminal,
        body.events,
        campaigns=app.extensions["tillclub.campaigns"],
        vouchers=lambda codes: load_vouchers(app, codes),
        cipher=app.extensions["tillclub.cpf"],
        tenders=app.extensions["tillclub.tenders"],
        bounds=app.extensions["tillclub.bounds"],
        adjustments=app.extensions["tillclub.till_adjustments"],
        pause_before_commit=float(app.config["FAILPOINT_PAUSE_BEFORE_COMMIT"]),
    )
    if result.rejected:
        try:
            record_rejections(SqlUnitOfWork.for_app(app), g.terminal, result.rejected)
        except SQLAlchemyError:  # the answer matters more than the bookkeeping
            log.exception("could not record rejected events")
    log.info(
        "events pushed",
        extra={
            "terminal_id": g.terminal.terminal_id,
            "received": len(body.events),
            "applied": len(result.applied),
            "rejected": len(result.rejected),
            "flags": len(result.flags),
        },
    )
    return jsonify(
        applied=result.applied, rejected=[r.to_dict() for r in result.rejected], flags=result.flags
    )
