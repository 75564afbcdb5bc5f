"""The server's one rate limiter (Flask-Limiter), shared by the sync API, the admin UI and the
member portal.

Each area names its own key: the API charges the authenticated terminal
(:func:`server.api.auth.by_terminal`), the login and portal forms the client address or the
account tried. The default key is the client address.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter


def by_address() -> str:
    return f"addr:{request.remote_addr or '-'}"


limiter = Limiter(key_func=by_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
