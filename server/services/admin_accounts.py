"""Admin accounts: creation, password check with argon2id, and lockout after failed logins.

A login fails the same way (same message, same argon2 work) for an unknown e-mail, a wrong
password, an inactive account or a locked one, so the form does not reveal which e-mails
exist. ``ADMIN_LOCKOUT_THRESHOLD`` failures in a row lock the account for
``ADMIN_LOCKOUT_MINUTES``; a success resets the count. Creating, authenticating, activating
and unlocking are use cases through the unit of work (the web and ``tillclub server
create-admin`` call the same ones); every outcome of a login attempt is committed with its
audit row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import now as utcnow
from ..models import AdminLoginState, AdminUser, AdminUserStore, Role, Store
from .admin_sessions import revoke_all
from .roles import ROLES
from .uow import SqlUnitOfWork, use_case

_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
_DUMMY = _HASHER.hash("not a password: equalises the work for unknown e-mails")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12


class AccountError(ValueError):
    """An admin account that cannot be created or changed as asked. ``message`` is English with
    ``{name}`` placeholders (a key of the admin's message table, so the web shows it in the
    user's language), ``values`` fill them, ``field`` names the form field; ``str()`` is the
    English text the CLI prints, naming the bad value."""

    def __init__(self, message: str, field: str | None = None, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.field = field
        self.values = values


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password_strength(password: str) -> None:
    """:raises AccountError: shorter than 12 characters."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            "password must have at least {min} characters, got {got}",
            "password",
            min=MIN_PASSWORD,
            got=len(password),
        )


def ensure_role(session: Session, name: str) -> Role:
    """The ``roles`` row for ``name``, created with its permission list on first use."""
    if name not in ROLES:
        raise AccountError(
            "unknown role {role!r}; one of: {roles}", "role", role=name, roles=", ".join(ROLES)
        )
    role = session.scalars(select(Role).where(Role.name == name)).one_or_none()
    if role is None:
        role = Role(name=name, permissions=sorted(p.value for p in ROLES[name]))
        session.add(role)
        session.flush()
    return role


@use_case
def create_admin(
    uow: SqlUnitOfWork,
    email: str,
    password: str,
    *,
    role: str = "admin",
    name: str = "",
    store_ids: tuple[str, ...] = (),
    actor: str = "cli",
    now: dt.datetime,
) -> AdminUser:
    """Create an admin user, audited.

    :raises AccountError: malformed or taken e-mail, weak password, unknown role or store, or
        a store manager without stores.
    """
    session = uow.session
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("not an e-mail address: {email!r}", "email", email=email)
    check_password_strength(password)
    if session.scalar(select(func.count()).where(AdminUser.email == email)):
        raise AccountError(
            "an admin user with e-mail {email!r} exists already", "email", email=email
        )
    role_row = ensure_role(session, role)
    if role == "store_manager" and not store_ids:
        raise AccountError("a store manager needs at least one store", "stores")
    for store_id in store_ids:
        if session.get(Store, store_id) is None:
            raise AccountError("unknown store {store!r}", "stores", store=store_id)
    user = AdminUser(
        email=email,
        name=name or email,
        password_hash=hash_password(password),
        role_id=role_row.id,
        active=True,
        created_at=now,
        last_login_at=None,
    )
    session.add(user)
    session.flush()
    for store_id in store_ids:
        session.add(AdminUserStore(user_id=user.id, store_id=store_id))
    uow.audit_change(
        actor,
        "admin_user.create",
        "admin_user",
        str(user.id),
        after={"email": email, "role": role, "stores": list(store_ids)},
    )
    return user


@dataclass(frozen=True)
class LoginOutcome:
    user: AdminUser | None
    locked_now: bool = False


@use_case
def authenticate(
    uow: SqlUnitOfWork,
    email: str,
    password: str,
    *,
    now: dt.datetime,
    threshold: int,
    lock_minutes: int,
) -> LoginOutcome:
    """Check a login, counting failures and locking the account (committed either way)."""
    session = uow.session
    email = email.strip().lower()
    user = session.scalars(select(AdminUser).where(AdminUser.email == email)).one_or_none()
    if user is None:
        _verify(_DUMMY, password)
        uow.audit_change(email[:64] or "-", "login.failed", "admin_user", "-", reason="unknown")
        return LoginOutcome(None)
    state = session.get(AdminLoginState, user.id, with_for_update=True)
    if state is None:
        state = AdminLoginState(user_id=user.id, failed_count=0)
        session.add(state)
    locked = state.locked_until is not None and state.locked_until > now
    ok = _verify(user.password_hash, password)
    if ok and not locked and user.active:
        state.failed_count = 0
        state.locked_until = None
        user.last_login_at = now
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        uow.audit_change(user.email, "login.ok", "admin_user", str(user.id))
        return LoginOutcome(user)
    if locked:
        uow.audit_change(user.email, "login.failed", "admin_user", str(user.id), reason="locked")
        return LoginOutcome(None)
    state.failed_count += 1
    state.last_failed_at = now
    locked_now = state.failed_count >= threshold
    if locked_now:
        state.locked_until = now + dt.timedelta(minutes=lock_minutes)
        state.failed_count = 0
    reason = "inactive" if ok else "password"
    uow.audit_change(
        user.email,
        "login.locked" if locked_now else "login.failed",
        "admin_user",
        str(user.id),
        reason=reason,
    )
    return LoginOutcome(None, locked_now)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def user_role(session: Session, user: AdminUser) -> str:
    return session.get_one(Role, user.role_id).name


def user_stores(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(
        session.scalars(select(AdminUserStore.store_id).where(AdminUserStore.user_id == user_id))
    )


@dataclass(frozen=True)
class UserRow:
    user: AdminUser
    role: str
    stores: frozenset[str]
    locked_until: dt.datetime | None


def list_users(session: Session) -> list[UserRow]:
    roles = {r.id: r.name for r in session.scalars(select(Role))}
    locks = {s.user_id: s.locked_until for s in session.scalars(select(AdminLoginState))}
    out = []
    for user in session.scalars(select(AdminUser).order_by(AdminUser.email)):
        out.append(
            UserRow(
                user,
                roles.get(user.role_id, "?"),
                user_stores(session, user.id),
                locks.get(user.id),
            )
        )
    return out


@use_case
def set_active(
    uow: SqlUnitOfWork,
    user_id: int,
    active: bool,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> AdminUser:
    """Activate or deactivate a user; deactivating revokes every session of the user.

    .. versionchanged:: deactivating revokes the user's server-side sessions (``now``: when).

    :raises AccountError: unknown user, or an admin deactivating themselves.
    """
    session = uow.session
    user = session.get(AdminUser, user_id)
    if user is None:
        raise AccountError("unknown admin user {id}", id=user_id)
    if user.email == actor and not active:
        raise AccountError("you cannot deactivate yourself")
    before = user.active
    user.active = active
    if not active:
        revoke_all(session, user_id, now or utcnow(), "deactivated")
    uow.audit_change(
        actor,
        "admin_user.activate" if active else "admin_user.deactivate",
        "admin_user",
        str(user_id),
        before={"active": before},
        after={"active": active},
    )
    return user


@use_case
def set_password(
    uow: SqlUnitOfWork, user_id: int, password: str, *, actor: str, now: dt.datetime
) -> int:
    """Give ``user_id`` a new password and end every session of theirs (a stolen session
    must not outlive the password change); returns how many sessions ended.

    :raises AccountError: unknown user or a weak password.
    """
    check_password_strength(password)
    session = uow.session
    user = session.get(AdminUser, user_id)
    if user is None:
        raise AccountError("unknown admin user {id}", id=user_id)
    user.password_hash = hash_password(password)
    ended = revoke_all(session, user_id, now, "password")
    # never the hash or the password: only that it changed and what it ended
    uow.audit_change(
        actor,
        "admin_user.password",
        "admin_user",
        str(user_id),
        before={},
        after={"sessions_ended": ended},
    )
    return ended


@use_case
def unlock(uow: SqlUnitOfWork, user_id: int, *, actor: str) -> None:
    session = uow.session
    state = session.get(AdminLoginState, user_id)
    if state is None or state.locked_until is None:
        return
    before = state.locked_until.isoformat()
    state.locked_until = None
    state.failed_count = 0
    uow.audit_change(
        actor,
        "admin_user.unlock",
        "admin_user",
        str(user_id),
        before={"locked_until": before},
        after={"locked_until": None},
    )
