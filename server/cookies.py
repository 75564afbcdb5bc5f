"""Cookie flags for every cookie the server sets: SameSite=Lax always, Secure when configured.

``session_cookie_secure`` is one config key: ``true``, ``false`` or ``"auto"`` (the default),
which means Secure when the server says it is served over HTTPS, i.e. ``portal_base_url``
starts with ``https://``. Flask's own ``SESSION_COOKIE_*`` settings get the result (the
shared session cookie: admin and portal sessions), and an ``after_request`` hook adds the same
flags to any other cookie (the language choices), so no cookie leaves without them whoever
set it. ``SameSite=Lax`` keeps the cookie off cross-site POSTs (the CSRF token is the first
line); ``HttpOnly`` keeps it from scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from .config import ConfigError

KEY = "SESSION_COOKIE_SECURE"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def secure_cookies(config: Mapping[str, Any]) -> bool:
    """Whether cookies carry ``Secure``, from ``session_cookie_secure`` (see the module).

    :raises ConfigError: a value that is not true, false or "auto", naming the key.
    """
    value = config.get(KEY, "auto")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else "auto"
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text == "auto":
        base = str(config.get("PORTAL_BASE_URL") or "")
        return base.lower().startswith("https://")
    raise ConfigError(f'session_cookie_secure: expected true, false or "auto", got {value!r}')


def _flagged(header: str, secure: bool) -> str:
    parts = [p.strip() for p in header.split(";")]
    names = {p.split("=", 1)[0].strip().lower() for p in parts[1:]}
    # a SameSite someone set stays (Strict is stricter); none set: Lax
    if "samesite" not in names:
        parts.append("SameSite=Lax")
    if secure and "secure" not in names:
        parts.append("Secure")
    return "; ".join(parts)


def init_app(app: Flask) -> None:
    """Set Flask's session cookie flags and flag every other cookie of each response."""
    secure = secure_cookies(app.config)
    # Set, not setdefault: Flask's defaults already hold these keys (SameSite None).
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config[KEY] = secure

    @app.after_request
    def _flag_cookies(response: Response) -> Response:
        headers = response.headers.getlist("Set-Cookie")
        if headers:
            response.headers.remove("Set-Cookie")
            for header in headers:
                response.headers.add("Set-Cookie", _flagged(header, secure))
        return response
