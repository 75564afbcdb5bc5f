"""Shopper sessions: Flask's signed cookie names a server-side session row, checked per request.

The cookie (signed with ``SECRET_KEY``) holds only a random session id. The server keeps its
SHA-256 with the account's ``session_version`` at sign-in and an expiry. A request is signed
in only if the row exists, is not revoked or expired, its version is the account's current one,
and the account is not deleted. So a forged cookie or one signed with another key (Flask drops
it), a session from before a password change or reset (version bumped), a deleted account and
an expired session are all refused.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import g, session
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import Member
from ..models.portal import PortalAccount, PortalSession
from ..security import sha256_hex
from ..services.uow import SqlUnitOfWork, use_case

COOKIE_KEY = "portal_sid"
# Touch last_seen_at at most this often: a write per page view buys nothing.
_TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    member_id: str
    name: str


def open_session(s: Session, account: PortalAccount, now: dt.datetime, hours: int) -> str:
    """Create a session row for ``account``; returns the id to put in the cookie."""
    sid = secrets.token_urlsafe(32)
    s.add(
        PortalSession(
            id_hash=sha256_hex(sid),
            member_id=account.member_id,
            session_version=account.session_version,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=hours),
            revoked_at=None,
        )
    )
    return sid


def put_cookie(sid: str) -> None:
    """Bind the browser to ``sid``; a new id each sign-in (no session fixation)."""
    session.pop(COOKIE_KEY, None)
    session[COOKIE_KEY] = sid
    session.permanent = True


def cookie_sid() -> str | None:
    sid = session.get(COOKIE_KEY)
    return sid if isinstance(sid, str) and sid else None


def forget_cookie() -> None:
    session.pop(COOKIE_KEY, None)


def resolve(s: Session, sid: str, now: dt.datetime) -> SignedIn | None:
    """The signed-in member for ``sid``, or ``None`` if the session is not (or no longer) good."""
    row = s.get(PortalSession, sha256_hex(sid))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    account = s.get(PortalAccount, row.member_id)
    if (
        account is None
        or account.deleted_at is not None
        or account.session_version != row.session_version
    ):
        return None
    member = s.get(Member, row.member_id)
    if member is None or not member.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(member.id, member.name)


@use_case
def check(uow: SqlUnitOfWork, sid: str, now: dt.datetime) -> SignedIn | None:
    """:func:`resolve` as one transaction (it may touch the session's last-seen time)."""
    return resolve(uow.session, sid, now)


def revoke(s: Session, sid: str, now: dt.datetime) -> None:
    s.execute(
        update(PortalSession)
        .where(PortalSession.id_hash == sha256_hex(sid), PortalSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all(s: Session, member_id: str, now: dt.datetime) -> None:
    s.execute(
        update(PortalSession)
        .where(PortalSession.member_id == member_id, PortalSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def signed_in() -> SignedIn | None:
    """The member of this request (set by the blueprint's ``before_request``)."""
    who: SignedIn | None = g.get("portal_member")
    return who
