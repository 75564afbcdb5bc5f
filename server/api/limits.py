"""Request rate limits per terminal (Flask-Limiter), keyed by the authenticated terminal.

The key function authenticates the request itself (caching the result on ``g``), so a forged
credential naming another terminal is limited by its address, never charged to that terminal.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter

from .auth import try_authenticate


def _key() -> str:
    who = try_authenticate()
    if who is not None:
        return f"terminal:{who.terminal_id}"
    return f"addr:{request.remote_addr or '-'}"


limiter = Limiter(key_func=_key, default_limits=[], headers_enabled=True)


def terminal_limit() -> str:
    return str(current_app.config["RATELIMIT_TERMINAL"])


def enrol_limit() -> str:
    return str(current_app.config["RATELIMIT_ENROL"])


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
