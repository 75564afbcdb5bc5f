"""Terminal registration: a one-time code from ``register-terminal`` in, a credential out (once).

``POST /api/v1/terminals/register``; ``POST /api/v1/terminals/enrol`` is its deprecated alias,
kept for tills deployed before the rename (same body and answer, its old error code, and a
``Deprecation`` header naming the new path; see ``docs/sync-protocol.md``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from ..config import DEFAULTS
from ..errors import ApiError, ErrorCode
from ..limits import limiter
from ..services.terminals import complete_registration
from ..services.uow import SqlUnitOfWork
from .auth import by_terminal, registration_limit
from .request import json_body
from .schemas import RegistrationRequest

bp = Blueprint("terminals", __name__, url_prefix="/api/v1/terminals")
log = logging.getLogger("tillclub.server.terminals")


NEW_PATH = "/api/v1/terminals/register"


@bp.post("/register")
@limiter.limit(registration_limit, key_func=by_terminal, scope="terminal-registration")
def register_terminal() -> tuple[Response, int]:
    return _register(ErrorCode.INVALID_REGISTRATION_CODE, deprecated=False)


@bp.post("/enrol")
@limiter.limit(registration_limit, key_func=by_terminal, scope="terminal-registration")
def enrol_terminal() -> tuple[Response, int]:
    """Deprecated alias of :func:`register_terminal` (tills deployed before the rename)."""
    response, status = _register(ErrorCode.INVALID_ENROLMENT_CODE, deprecated=True)
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = f'<{NEW_PATH}>; rel="successor-version"'
    return response, status


def _register(refusal: ErrorCode, *, deprecated: bool) -> tuple[Response, int]:
    body = json_body(RegistrationRequest)
    result = complete_registration(
        SqlUnitOfWork.for_app(current_app._get_current_object()),  # type: ignore[attr-defined]
        body.code,
    )
    if result is None:
        raise ApiError(403, refusal, "unknown, used or expired registration code")
    log.info(
        "terminal registered",
        # ``deprecated``: the till used the old path (upgrade it before the alias goes away)
        extra={
            "terminal_id": result.terminal_id,
            "store_id": result.store_id,
            "deprecated_path": deprecated,
        },
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
    legacy = [str(p) for p in config.get("CARD_LEGACY_PREFIXES") or []]
    return {
        "card_prefix": str(prefix),
        "legacy_card_prefixes": legacy,
        "cpf_hash_secret": secret or None,
        "qr_public_key": pem,
    }
