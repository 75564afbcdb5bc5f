"""Terminal enrolment: a one-time code from ``register-terminal`` in, a credential out (once)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from ..config import DEFAULTS
from ..errors import ApiError, ErrorCode
from ..limits import limiter
from ..services.terminals import enrol
from ..services.uow import SqlUnitOfWork
from .auth import by_terminal, enrol_limit
from .request import json_body
from .schemas import EnrolRequest

bp = Blueprint("terminals", __name__, url_prefix="/api/v1/terminals")
log = logging.getLogger("tillclub.server.terminals")


@bp.post("/enrol")
@limiter.limit(enrol_limit, key_func=by_terminal)
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
        terminal_id=result.terminal_id,
        store_id=result.store_id,
        credential=result.credential,
        store_timezone=result.store_timezone,
        identification=till_identification(current_app.config),
    ), 201


def till_identification(config: Mapping[str, Any]) -> dict[str, str | None]:
    """The card prefix, CPF hash key and QR public key, as the till's config wants them.

    The CPF hash key goes to tills only here, once per terminal, over the same channel as its
    credential: a till cannot look a CPF up without it, and copying it by hand to every PC
    was the one manual step of installing a till.
    """
    from cryptography.hazmat.primitives import serialization

    from loyalty.identification import load_private_key

    secret = config.get("CPF_HASH_SECRET")
    pem = None
    key_path = config.get("QR_PRIVATE_KEY_PATH")
    if key_path:
        try:
            key = load_private_key(Path(key_path).read_bytes())
        except (OSError, ValueError) as exc:
            # The portal refuses to mint QR codes in the same case; the till can still sell.
            log.error("QR key unreadable, not handed to the terminal: %s", type(exc).__name__)
        else:
            pem = (
                key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode("ascii")
            )
    prefix = config.get("CARD_PREFIX", DEFAULTS["CARD_PREFIX"])
    return {"card_prefix": str(prefix), "cpf_hash_secret": secret or None, "qr_public_key": pem}
