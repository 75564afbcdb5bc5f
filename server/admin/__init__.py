"""The head-office web UI (``/admin``): members, campaigns, vouchers, stores, reports, segments.

``init_app(app)`` registers the blueprint, its defaults (``ADMIN_*`` config keys), the
language switch, the CSRF check and the hook that records what agents report at sync
(the ``X-Tillclub-*`` status headers of the agents' sync requests).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, render_template
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.wrappers import Response

from ..models import admin_ui as _tables  # noqa: F401  (registers the UI's tables)
from . import access, i18n

CONFIG_DEFAULTS: dict[str, Any] = {
    "ADMIN_SESSION_IDLE_MINUTES": 30,
    "ADMIN_SESSION_MAX_HOURS": 12,
    "ADMIN_LOCKOUT_THRESHOLD": 5,
    "ADMIN_LOCKOUT_MINUTES": 15,
    "ADMIN_LOGIN_RATE_LIMIT": "20/minute",  # login attempts per client address
    "ADMIN_PAGE_SIZE": 25,
    "ADMIN_POINT_VALUE": "0.01",  # BRL per point, for the liability in reports
    "ADMIN_GROSS_MARGIN": "0.25",  # share of net sales kept as margin, for value classes
    "ADMIN_SIMULATION_MAX_SALES": 50000,
}

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.before_request
def _before() -> Response | None:
    g.admin_lang = i18n.select_language()
    access.check_csrf()
    return access.load_admin()


@bp.after_request
def _after(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    return i18n.remember_language(response)


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    from .roles import Perm

    return {
        "_": i18n.gettext,
        "lang": i18n.language(),
        "csrf_token": generate_csrf,
        "admin": g.get("admin"),
        "Perm": Perm,
        "money": i18n.money,
        "number": i18n.number,
        "percent": i18n.percent,
        "when": i18n.datetime_local,
    }


def _error(status: int, title: str, text: str) -> tuple[str, int]:
    g.setdefault("admin_lang", i18n.select_language())
    return render_template("admin/error.html", status=status, title=title, text=text), status


@bp.errorhandler(403)
def _forbidden(_exc: Exception) -> tuple[str, int]:
    return _error(
        403,
        i18n.gettext("Not allowed"),
        i18n.gettext("Your role does not give access to this page or store."),
    )


@bp.errorhandler(404)
def _not_found(_exc: Exception) -> tuple[str, int]:
    return _error(404, i18n.gettext("Not found"), i18n.gettext("There is nothing at this address."))


@bp.errorhandler(429)
def _too_many(_exc: Exception) -> tuple[str, int]:
    return _error(
        429,
        i18n.gettext("Too many attempts"),
        i18n.gettext("Too many login attempts from this address. Wait a minute."),
    )


@bp.errorhandler(CSRFError)
def _csrf(_exc: Exception) -> tuple[str, int]:
    return _error(
        400,
        i18n.gettext("Form expired"),
        i18n.gettext(
            "The form was missing its security token or it expired. Go back, reload the page and try again."  # noqa: E501
        ),
    )


def init_app(app: Flask) -> None:
    """Register the admin UI on ``app`` (call after ``create_app``'s own wiring).

    Calling it again on the same app does nothing (``create_app`` already calls it).
    """
    if bp.name in app.blueprints:
        return
    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    from . import views

    views.load()
    app.register_blueprint(bp)
    from .agent_reports import init_app as reports_init

    reports_init(app)
