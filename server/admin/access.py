"""Who is asking: the logged-in admin, their role and stores, the session timeouts, CSRF.

Runs before every view of the admin blueprint:

- CSRF: every POST must carry the session's token (``csrf_token`` form field or
  ``X-CSRFToken`` header, Flask-WTF's ``validate_csrf``); otherwise 400 and nothing changes.
- Session: the user id lives in Flask's signed session cookie with the time of login and of
  the last request. Idle for ``ADMIN_SESSION_IDLE_MINUTES`` or older than
  ``ADMIN_SESSION_MAX_HOURS``: the session ends and the user logs in again. The user row is
  re-read on each request, so deactivating a user takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from .. import clock
from ..i18n.web import gettext as _
from ..models import AdminUser
from ..services.admin_accounts import user_role, user_stores
from ..services.roles import STORE_SCOPED, Perm, permissions
from ..services.uow import SqlUnitOfWork

F = TypeVar("F", bound=Callable[..., Any])
SESSION_UID = "admin_uid"
SESSION_LOGIN = "admin_login_at"
SESSION_SEEN = "admin_seen_at"


@dataclass(frozen=True)
class Admin:
    id: int
    email: str
    name: str
    role: str
    perms: frozenset[Perm]
    stores: frozenset[str] | None  # None: every store

    def can(self, perm: Perm) -> bool:
        return perm in self.perms

    def sees_store(self, store_id: str | None) -> bool:
        return self.stores is None or (store_id is not None and store_id in self.stores)


def current() -> Admin:
    admin: Admin | None = g.get("admin")
    if admin is None:
        abort(401)
    return admin


def check_csrf() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        token = (
            request.form.get("csrf_token")
            # a prefixed form (two forms of one page) names it "<prefix>-csrf_token"
            or next((v for k, v in request.form.items() if k.endswith("-csrf_token")), None)
            or request.headers.get("X-CSRFToken")
        )
        try:
            validate_csrf(token)
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None


def load_admin() -> Response | None:
    """Before each admin view: enforce timeouts and load ``g.admin`` (or ``None``)."""
    g.admin = None
    uid = session.get(SESSION_UID)
    if uid is None:
        return None
    now = clock.now().timestamp()
    idle = current_app.config["ADMIN_SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["ADMIN_SESSION_MAX_HOURS"] * 3600
    if now - session.get(SESSION_SEEN, 0) > idle or now - session.get(SESSION_LOGIN, 0) > absolute:
        end_session()
        flash(_("Your session expired. Please log in again."), "info")
        return None
    with SqlUnitOfWork.for_app(current_app).reading() as s:
        user = s.get(AdminUser, uid)
        if user is None or not user.active:
            end_session()
            return None
        role = user_role(s, user)
        stores = user_stores(s, user.id) if role in STORE_SCOPED else None
        g.admin = Admin(user.id, user.email, user.name, role, permissions(role), stores)
    session[SESSION_SEEN] = now
    return None


def start_session(user_id: int) -> None:
    # Flask's session is a signed cookie, shared with other areas (the member portal): replace
    # only this area's keys, and take a new CSRF token so none planted before login survives.
    end_session()
    now = clock.now().timestamp()
    session[SESSION_UID] = user_id
    session[SESSION_LOGIN] = now
    session[SESSION_SEEN] = now
    session.permanent = False


def end_session() -> None:
    for key in (SESSION_UID, SESSION_LOGIN, SESSION_SEEN, "csrf_token"):
        session.pop(key, None)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("admin") is None:
            return redirect(url_for("admin.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require(perm: Perm) -> Callable[[F], F]:
    """A view for logged-in admins holding ``perm``; others get 403 (or the login page)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            admin = g.get("admin")
            if admin is None:
                return redirect(url_for("admin.login", next=request.full_path))
            if not admin.can(perm):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate


def require_store(store_id: str | None) -> None:
    """403 unless the current admin may see ``store_id``."""
    if not current().sees_store(store_id):
        abort(403)
