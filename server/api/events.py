"""Push: ``POST /api/v1/events`` applies a batch of till events exactly once."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from ..clock import now as utcnow
from ..errors import ApiError, ErrorCode
from ..limits import limiter
from ..services import ingest_clock
from ..services.epochs import already_applied, note_repush
from ..services.ingest import apply_batch, record_rejections
from ..services.uow import SqlUnitOfWork
from ..services.vouchers import load_vouchers
from .auth import by_terminal, terminal_limit, terminal_required
from .epoch import add_epoch_headers, is_repush, require_current_epoch
from .request import json_body
from .schemas import EventsRequest

bp = Blueprint("events", __name__, url_prefix="/api/v1")
log = logging.getLogger("tillclub.server.events")
bp.after_request(add_epoch_headers)


@bp.post("/events")
@limiter.limit(terminal_limit, key_func=by_terminal)
@terminal_required
def push_events() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    received_at = utcnow()  # before the batch: the time the till's events reached us
    body = json_body(EventsRequest)
    if len(body.events) > app.config["EVENTS_MAX_BATCH"]:
        raise ApiError(
            400,
            ErrorCode.VALIDATION_FAILED,
            f"at most {app.config['EVENTS_MAX_BATCH']} events per push",
        )
    epoch = require_current_epoch(g.terminal)
    repush = is_repush()
    had = 0
    if repush:  # what the server still has of a re-push, to tell what the restore had lost
        ids = [
            e["event_id"]
            for e in body.events
            if isinstance(e, dict) and isinstance(e.get("event_id"), str)
        ]
        with SqlUnitOfWork.for_app(app).reading() as session:
            had = already_applied(session, ids)
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
    flags = list(result.flags)
    try:
        found = ingest_clock.record_push(
            SqlUnitOfWork.for_app(app),
            g.terminal,
            body.events,
            result.applied,
            received_at=received_at,
            till_clock=ingest_clock.parse_clock(request.headers.get(ingest_clock.CLOCK_HEADER)),
            threshold=dt.timedelta(minutes=int(app.config["CLOCK_SKEW_MINUTES"])),
        )
        flags += [f.flag() for f in found]
    except Exception:  # noqa: BLE001 - the batch is committed: a 500 here would make the till
        # re-send it forever; a concurrent push writing the same finding lands here too
        log.exception("could not record the push's till issues")
    recovered = max(0, len(result.applied) - had) if repush else 0
    if repush:
        try:
            note_repush(
                SqlUnitOfWork.for_app(app),
                g.terminal,
                epoch.epoch,
                received=len(body.events),
                recovered=recovered,
                rejected=len(result.rejected),
            )
        except SQLAlchemyError:  # the answer matters more than the bookkeeping
            log.exception("could not record a re-push")
    log.info(
        "events pushed",
        extra={
            "terminal_id": g.terminal.terminal_id,
            "received": len(body.events),
            "applied": len(result.applied),
            "rejected": len(result.rejected),
            "flags": len(flags),
            "repush": repush,
            "recovered": recovered,
        },
    )
    answer: dict[str, object] = {
        "applied": result.applied,
        "rejected": [r.to_dict() for r in result.rejected],
        "flags": flags,
    }
    if repush:  # how many of the re-pushed events the server did not have
        answer["recovered"] = recovered
    return jsonify(answer)
