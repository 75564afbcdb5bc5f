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

from ..errors import PageRefusal, register_page
from ..i18n import web as i18n
from ..services.uow import SqlUnitOfWork
from . import access
from .messages_pt import MESSAGES

# The admin's messages, its language cookie; tables show timestamps as stored (UTC).
I18N = i18n.Area(MESSAGES, cookie="tc_admin_lang")


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
    i18n.enter(I18N)
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
    return i18n.remember(response)


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
        "when": i18n.datetime,
    }


# Each status's English title and text (the admin's table translates them).
_ERRORS = {
    400: ("Bad request", "The address or form had a value the page cannot use."),
    401: ("Not signed in", "Sign in to see this page."),
    403: ("Not allowed", "Your role does not give access to this page or store."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed here", "This address does not take that kind of request."),
    413: ("Too large", "What was sent is larger than the server accepts."),
    429: ("Too many attempts", "Too many login attempts from this address. Wait a minute."),
    500: ("Something went wrong", "The server failed on this page. Try again in a moment."),
}


def _error(status: int, title: str, text: str) -> str:
    """The error page, its English ``title`` and ``text`` translated here: the handler may run
    before ``_before`` chose the language (a 429 from the rate limiter, a routing 404)."""
    i18n.enter(I18N)
    return render_template(
        "admin/error.html",
        status=status,
        title=i18n.gettext(title),
        text=text,
        **_template_globals(),
    )


def error_page(status: int, exc: Exception | None) -> str:
    """Any error under ``/admin`` as an HTML page (``server.errors.register_page``)."""
    title, text = _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
    i18n.enter(I18N)
    if isinstance(exc, PageRefusal):
        return _error(status, title, i18n.gettext(exc.message, **exc.values))
    return _error(status, title, i18n.gettext(text))


@bp.errorhandler(CSRFError)
def _csrf(_exc: Exception) -> tuple[str, int]:
    i18n.enter(I18N)
    return _error(
        400,
        "Form expired",
        i18n.gettext(
            "The form was missing its security token or it expired. Go back, reload the page "
            "and try again."
        ),
    ), 400


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
    register_page(app, bp.url_prefix or "/admin", error_page)
