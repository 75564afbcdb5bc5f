"""Who is asking: the logged-in admin, their role and stores, the session timeouts, CSRF.

Runs before every view of the admin blueprint:

- CSRF: every POST must carry the session's token (``csrf_token`` form field or
  ``X-CSRFToken`` header, Flask-WTF's ``validate_csrf``); otherwise 400 and nothing changes.
- Session: Flask's signed cookie holds only a random session id; the session itself is a row
  at the server (``server/services/admin_sessions.py``). Idle for
  ``ADMIN_SESSION_IDLE_MINUTES`` or older than ``ADMIN_SESSION_MAX_HOURS``: the row is
  revoked and the user logs in again. Log-out revokes the row, so a copy of the cookie opens
  nothing afterwards; a password change or deactivating the user revokes all of theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from .. import clock
from ..i18n.web import gettext as _
from ..models import AdminUser
from ..services import admin_sessions
from ..services.admin_accounts import user_role, user_stores
from ..services.roles import STORE_SCOPED, Perm, permissions
from ..services.uow import SqlUnitOfWork

F = TypeVar("F", bound=Callable[..., Any])
SESSION_SID = "admin_sid"
# Keys of the signed-cookie sessions before they moved to the server: dropped on sight.
_OLD_KEYS = ("admin_uid", "admin_login_at", "admin_seen_at")


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


def _timeouts() -> admin_sessions.Timeouts:
    cfg = current_app.config
    return admin_sessions.Timeouts(
        idle=dt.timedelta(minutes=int(cfg["ADMIN_SESSION_IDLE_MINUTES"])),
        absolute=dt.timedelta(hours=int(cfg["ADMIN_SESSION_MAX_HOURS"])),
    )


def _sid() -> str | None:
    sid = session.get(SESSION_SID)
    return sid if isinstance(sid, str) and sid else None


def load_admin() -> Response | None:
    """Before each admin view: check the server-side session and load ``g.admin`` (or ``None``)."""
    g.admin = None
    sid = _sid()
    if sid is None:
        return None
    uow = SqlUnitOfWork.for_app(current_app)
    checked = admin_sessions.check(uow, sid, clock.now(), _timeouts())
    if checked.user_id is None:
        _forget_cookie()
        if checked.ended in ("idle", "expired"):
            flash(_("Your session expired. Please log in again."), "info")
        return None
    with uow.reading() as s:
        user = s.get(AdminUser, checked.user_id)
        if user is None or not user.active:
            _forget_cookie()
            return None
        role = user_role(s, user)
        stores = user_stores(s, user.id) if role in STORE_SCOPED else None
        g.admin = Admin(user.id, user.email, user.name, role, permissions(role), stores)
    return None


def start_session(user_id: int) -> None:
    """A new server-side session for ``user_id``, bound to this browser.

    Flask's session cookie is shared with other areas (the member portal): replace only this
    area's keys, revoke the session the browser had (no fixation), and take a new CSRF token
    so none planted before login survives.
    """
    end_session()
    sid = admin_sessions.open_session(SqlUnitOfWork.for_app(current_app), user_id, clock.now())
    session[SESSION_SID] = sid
    session.permanent = False


def end_session() -> None:
    """Log out: revoke the server-side session, then drop this area's keys from the cookie."""
    sid = _sid()
    if sid is not None:
        admin_sessions.end(SqlUnitOfWork.for_app(current_app), sid, clock.now())
    _forget_cookie()


def _forget_cookie() -> None:
    for key in (SESSION_SID, *_OLD_KEYS, "csrf_token"):
        session.pop(key, None)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("admin") is None:
            return redirect(url_for("admin.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def refused(action: str, target_type: str, target_id: str, reason: str) -> None:
    """Audit the current admin's refused attempt (``<action>.refused``), committed on its own."""
    from ..services.audit_log import record_refusal

    admin = g.get("admin")
    actor = admin.email if admin is not None else "-"
    record_refusal(
        SqlUnitOfWork.for_app(current_app), actor, action, target_type, target_id, reason
    )


def _deny(reason: str) -> NoReturn:
    """403; a refused change (any method but GET/HEAD) is audited first, a refused read not
    (reading is not an action, and a crawl of forbidden pages would flood the log)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        refused("access", "endpoint", request.endpoint or request.path, reason)
    abort(403)


def require(perm: Perm) -> Callable[[F], F]:
    """A view for logged-in admins holding ``perm``; others get 403 (or the login page)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            admin = g.get("admin")
            if admin is None:
                return redirect(url_for("admin.login", next=request.full_path))
            if not admin.can(perm):
                _deny(f"role {admin.role} lacks {perm.value}")
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate


def require_store(store_id: str | None) -> None:
    """403 unless the current admin may see ``store_id``."""
    if not current().sees_store(store_id):
        _deny(f"store {store_id} is not among the admin's stores")
