"""The portal's configuration keys and their defaults (read with :func:`setting`).

Every key is listed here once. ``server.config.DEFAULTS`` does not know them yet, so until the
lead adds them there a deployment sets them in ``create_app``'s config; tests pass them in
``test_config``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

PORTAL_DEFAULTS: dict[str, Any] = {
    # Sessions: a shopper stays signed in on their phone for this long (then signs in again).
    "PORTAL_SESSION_HOURS": 24 * 30,
    # Password-reset links are good once, for this many minutes.
    "PORTAL_RESET_TTL_MINUTES": 30,
    # Rate limits (Flask-Limiter syntax), per client address and per sign-in identifier.
    "PORTAL_RATELIMIT_SIGNIN": "10/minute;50/hour",
    "PORTAL_RATELIMIT_SIGNIN_PER_ID": "5/minute;20/hour",
    "PORTAL_RATELIMIT_RESET": "5/minute;20/hour",
    "PORTAL_RATELIMIT_SIGNUP": "10/minute;100/hour",
    # Outgoing mail (password resets).
    "PORTAL_SMTP_HOST": "127.0.0.1",
    "PORTAL_SMTP_PORT": 25,
    "PORTAL_SMTP_STARTTLS": False,
    "PORTAL_SMTP_USER": None,
    "PORTAL_SMTP_PASSWORD": None,
    "PORTAL_MAIL_FROM": "tillclub <no-reply@localhost>",
    # Absolute base of links in e-mails (https://clube.example.com); the request's host if unset.
    "PORTAL_BASE_URL": None,
    # Printed/digital card numbers: EAN-13 with this prefix; numbers for cards the portal
    # issues start above PORTAL_CARD_NUMBER_BASE, a range kept apart from pre-printed stock.
    "PORTAL_CARD_PREFIX": "29",
    "PORTAL_CARD_NUMBER_BASE": 9_000_000_000,
    # Digital card: how many QR tokens one fetch pre-mints, each valid 5 minutes, started
    # PORTAL_QR_STEP_SECONDS apart (12 x 4 min: the phone shows a valid code for ~49 minutes
    # without signal).
    "PORTAL_QR_TOKENS": 12,
    "PORTAL_QR_STEP_SECONDS": 240,
    # Version of the programme terms the shopper accepts at sign-up (kept in consent history).
    "PORTAL_TERMS_VERSION": "2026-01",
    # Cookie flags: Secure in production (HTTPS); tests run on plain http://127.0.0.1.
    "PORTAL_COOKIE_SECURE": True,
}


def setting(key: str, app: Flask | None = None) -> Any:
    """The value of a ``PORTAL_*`` key: the app's config, else the default above."""
    config = (app or current_app).config
    return config[key] if key in config else PORTAL_DEFAULTS[key]


def apply_defaults(app: Flask) -> None:
    for key, value in PORTAL_DEFAULTS.items():
        app.config.setdefault(key, value)
