"""The head-office web UI (``/admin``): members, campaigns, vouchers, stores, reports, segments.

``init_app(app)`` registers the blueprint (its ``ADMIN_*`` keys are in ``server.config``), the
language switch and the CSRF check. What agents report at sync (version, queue depth) is
recorded by the API (:mod:`server.api.telemetry`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, render_template
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.wrappers import Response

from ..services.uow import SqlUnitOfWork
from . import access, i18n


def uow() -> SqlUnitOfWork:
    """A unit of work on the app's session factory: views hand it to one use case, or open it
    (``with uow().reading() as s:``) for a read-only query."""
    return SqlUnitOfWork.for_app(current_app._get_current_object())  # type: ignore[attr-defined]


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
    from ..services.roles import Perm

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
    # Cookie flags (SameSite=Lax, HttpOnly, Secure) are set for the whole app: server/cookies.py
    from . import views

    views.load()
    app.register_blueprint(bp)
