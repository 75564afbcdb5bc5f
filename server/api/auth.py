"""Terminal authentication for API views: ``Authorization: Bearer tc1.<terminal>.<secret>``,
and the API's rate-limit key and limits (the limiter itself is :mod:`server.limits`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from ..errors import ApiError, ErrorCode
from ..services.terminals import AuthFailure, TerminalIdentity, authenticate
from ..services.uow import SqlUnitOfWork

F = TypeVar("F", bound=Callable[..., Any])
_UNSET = object()


def try_authenticate() -> TerminalIdentity | None:
    """The request's terminal, or ``None``; the outcome is cached for the request."""
    cached = g.get("tillclub_auth", _UNSET)
    if cached is not _UNSET:
        return cached.identity if isinstance(cached, _Outcome) else None
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        identity = authenticate(SqlUnitOfWork.for_app(app), request.headers.get("Authorization"))
        g.tillclub_auth = _Outcome(identity, None)
        return identity
    except AuthFailure as exc:
        g.tillclub_auth = _Outcome(None, exc)
        return None


class _Outcome:
    def __init__(self, identity: TerminalIdentity | None, failure: AuthFailure | None) -> None:
        self.identity = identity
        self.failure = failure


def current_terminal() -> TerminalIdentity:
    """:raises ApiError: 401 ``unauthorized`` or ``terminal_revoked``."""
    identity = try_authenticate()
    if identity is not None:
        return identity
    failure = g.tillclub_auth.failure
    if failure is not None and failure.revoked:
        raise ApiError(
            401, ErrorCode.TERMINAL_REVOKED, "this terminal has been revoked by head office"
        )
    raise ApiError(401, ErrorCode.UNAUTHORIZED, "missing or invalid terminal credential")


def terminal_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.terminal = current_terminal()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def by_terminal() -> str:
    """The rate-limit key: the authenticated terminal, else the address. The key function
    authenticates the request itself (cached on ``g``), so a forged credential naming another
    terminal is limited by its address, never charged to that terminal."""
    who = try_authenticate()
    if who is not None:
        return f"terminal:{who.terminal_id}"
    return f"addr:{request.remote_addr or '-'}"


def terminal_limit() -> str:
    return str(current_app.config["RATELIMIT_TERMINAL"])


def registration_limit() -> str:
    return str(current_app.config["RATELIMIT_REGISTER"])
