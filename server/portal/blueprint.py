"""The ``/portal`` blueprint: per-request language, CSRF and session checks, error pages.

Every POST is refused (400) without a valid CSRF token before its view runs. The signed-in
member is resolved once per request (``sessions.resolve``); pages that need one redirect to
the sign-in page, saying so when the browser came with a session that is no longer good.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from loyalty.identification import mask_cpf

from .. import clock as server_clock
from ..errors import PageRefusal, register_page
from ..i18n import web as i18n
from ..i18n.formats import brl
from ..security import CpfCipher
from ..services.uow import SqlUnitOfWork
from . import sessions
from .cards import load_signing_key
from .messages_pt import MESSAGES
from .settings import setting

bp = Blueprint(
    "portal", __name__, url_prefix="/portal", template_folder="templates", static_folder="static"
)

F = TypeVar("F", bound=Callable[..., Any])

# The portal's messages and language cookie; dates in the shoppers' time (Brasília).
I18N = i18n.Area(MESSAGES, cookie="portal_lang", zone=ZoneInfo("America/Sao_Paulo"))


@dataclass
class PortalState:
    """Per-app portal state: the clock (tests move it) and the QR signing key, loaded once."""

    clock: server_clock.Clock = server_clock.SYSTEM
    _key: Ed25519PrivateKey | None = field(default=None, repr=False)

    def signing_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_signing_key(current_app.config.get("QR_PRIVATE_KEY_PATH"))
        return self._key


def state() -> PortalState:
    portal: PortalState = current_app.extensions["tillclub.portal"]
    return portal


def now() -> dt.datetime:
    return state().clock()


def uow() -> SqlUnitOfWork:
    return SqlUnitOfWork.for_app(current_app)


def cipher() -> CpfCipher:
    c: CpfCipher = current_app.extensions["tillclub.cpf"]
    return c


def hours() -> int:
    return int(setting("PORTAL_SESSION_HOURS"))


@bp.before_request
def _before() -> Response | None:
    i18n.enter(I18N)
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None
    g.portal_member = None
    g.portal_stale = False
    sid = sessions.cookie_sid()
    if sid is not None:
        g.portal_member = sessions.check(uow(), sid, now())
        if g.portal_member is None:
            g.portal_stale = True
            sessions.forget_cookie()
    return None


@bp.after_request
def _after(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # reset links carry a token
    if sessions.signed_in() is not None or g.get("portal_stale"):
        response.headers.setdefault("Cache-Control", "private, no-store")
    response.vary.add("Cookie")
    return i18n.remember(response)


@bp.app_template_global("portal_csrf")
def _csrf() -> str:
    return str(generate_csrf())


@bp.context_processor
def _context() -> dict[str, Any]:
    return {
        "_": i18n.gettext,
        "lang": i18n.language(),
        "member": sessions.signed_in(),
        "money": brl,
        "points": i18n.points,
        "fmt_date": i18n.date,
        "fmt_datetime": i18n.datetime,
        "mask_cpf": mask_cpf,
        "csrf_token": generate_csrf,
    }


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if sessions.signed_in() is None:
            return redirect(
                url_for(
                    "portal.sign_in",
                    next=request.path,
                    expired=1 if g.get("portal_stale") else None,
                )
            )
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Only local portal paths: a ``next`` pointing elsewhere would make an open redirect."""
    if (
        target
        and target.startswith("/portal/")
        and not urlsplit(target).netloc
        and "\\" not in target
    ):
        return target
    return url_for("portal.home")


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    i18n.enter(I18N)
    return render_template(
        "portal/error.html",
        title=i18n.gettext("The form expired"),
        message=i18n.gettext(
            "The form expired or did not come from this site. "
            "Go back, reload the page and try again."
        ),
    ), 400


# Each status's English title and text (the portal's table translates them).
_ERRORS = {
    400: ("Something is wrong with this request", "The address or form had a value we cannot use."),
    401: ("Sign in first", "Sign in to see this page."),
    403: ("Not allowed", "This page is not open to you."),
    404: ("Page not found", "This page does not exist."),
    405: ("Not allowed here", "This address does not take that kind of request."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Too many attempts", "Too many attempts. Wait a few minutes and try again."),
    500: ("Something went wrong", "We could not show this page. Try again in a moment."),
}


def error_page(status: int, exc: Exception | None) -> str:
    """Any error under ``/portal`` as an HTML page (``server.errors.register_page``); it may
    run before ``_before`` (a routing 404, the rate limit's 429), so it enters the area."""
    i18n.enter(I18N)
    title, text = _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
    if isinstance(exc, PageRefusal):
        message = i18n.gettext(exc.message, **exc.values)
    else:
        message = i18n.gettext(text)
    return render_template(
        "portal/error.html", title=i18n.gettext(title), message=message, **_context()
    )


def register(app: Flask) -> None:
    app.extensions["tillclub.portal"] = PortalState()
    from . import views_auth, views_member  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    register_page(app, bp.url_prefix or "/portal", error_page)
