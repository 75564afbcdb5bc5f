"""Head-office sessions kept at the server, so that ending one really ends it.

The browser's cookie (Flask's signed session) holds only a random session id; the server keeps
its SHA-256 with the user, the login time and the last request. A request is logged in only
if the row exists, is not revoked, was used within the idle timeout and is younger than the
absolute one, and the user is still active. Log-out revokes the row, so a copy of the old
cookie opens nothing; a password change and deactivating the user revoke every row of that
user (:func:`revoke_all`, called by those use cases in ``admin_accounts``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import AdminSession, AdminUser
from ..security import sha256_hex
from .uow import SqlUnitOfWork, use_case

# Touch last_seen_at at most this often: the idle timeout is minutes, a write per page buys
# nothing (the idle check allows for this much).
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Timeouts:
    idle: dt.timedelta
    absolute: dt.timedelta


@dataclass(frozen=True)
class Checked:
    """The outcome of :func:`check`: the user id, or why there is none."""

    user_id: int | None
    ended: str | None = None  # idle | expired | revoked | unknown | inactive


@use_case
def open_session(uow: SqlUnitOfWork, user_id: int, now: dt.datetime) -> str:
    """A new session row for ``user_id``; returns the id to put in the cookie."""
    sid = secrets.token_urlsafe(32)
    uow.session.add(
        AdminSession(
            id_hash=sha256_hex(sid),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            revoked_at=None,
            revoked_reason=None,
        )
    )
    return sid


@use_case
def check(uow: SqlUnitOfWork, sid: str, now: dt.datetime, timeouts: Timeouts) -> Checked:
    """The user of session ``sid`` now, touching its last-seen time; an idle or too old
    session is revoked here (with its reason), so it cannot come back."""
    s = uow.session
    row = s.get(AdminSession, sha256_hex(sid))
    if row is None:
        return Checked(None, "unknown")
    if row.revoked_at is not None:
        return Checked(None, "revoked")
    ended = (
        "expired"
        if now - row.created_at > timeouts.absolute
        else "idle"
        if now - row.last_seen_at > timeouts.idle
        else None
    )
    user = s.get(AdminUser, row.user_id)
    if ended is None and (user is None or not user.active):
        ended = "inactive"
    if ended is not None:
        row.revoked_at, row.revoked_reason = now, ended
        return Checked(None, ended)
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return Checked(row.user_id)


@use_case
def end(uow: SqlUnitOfWork, sid: str, now: dt.datetime, reason: str = "logout") -> None:
    """Revoke session ``sid`` (log-out)."""
    uow.session.execute(
        update(AdminSession)
        .where(AdminSession.id_hash == sha256_hex(sid), AdminSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def revoke_all(s: Session, user_id: int, now: dt.datetime, reason: str) -> int:
    """Revoke every open session of ``user_id`` in the caller's transaction; how many."""
    result = s.execute(
        update(AdminSession)
        .where(AdminSession.user_id == user_id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
