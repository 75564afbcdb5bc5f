"""Terminal enrolment: a one-time code from ``register-terminal`` in, a credential out (once)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify

from ..errors import ApiError, ErrorCode
from ..services.terminals import enrol
from ..services.uow import SqlUnitOfWork
from .limits import enrol_limit, limiter
from .request import json_body
from .schemas import EnrolRequest

bp = Blueprint("terminals", __name__, url_prefix="/api/v1/terminals")
log = logging.getLogger("tillclub.server.terminals")


@bp.post("/enrol")
@limiter.limit(enrol_limit)
def enrol_terminal() -> tuple[Response, int]:
    body = json_body(EnrolRequest)
    result = enrol(SqlUnitOfWork.for_app(current_app._get_current_object()), body.code)  # type: ignore[attr-defined]
    if result is None:
        raise ApiError(
            403, ErrorCode.INVALID_ENROLMENT_CODE, "unknown, used or expired enrolment code"
        )
    log.info(
        "terminal enrolled", extra={"terminal_id": result.terminal_id, "store_id": result.store_id}
    )
    return jsonify(
        terminal_id=result.terminal_id, store_id=result.store_id, credential=result.credential
    ), 201
