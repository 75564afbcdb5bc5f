"""Member portal tables: shopper credentials, sessions, consent history, password resets.

All are side tables keyed by ``members.id``: the ``members`` row stays what agents sync, the
portal adds what only the shopper-facing site needs. Secrets are never stored in clear: the
password is an argon2 hash, session ids and reset tokens are stored as their SHA-256 (they are
128+ random bits, so a slow hash buys nothing).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class PortalAccount(Base):
    """A member's portal sign-in: one row per member who joined or claimed the account online.

    ``session_version`` is bumped on a password change, a reset and a deletion: every session
    opened under an older version is refused.
    """

    __tablename__ = "portal_accounts"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    # Lower-cased sign-in e-mail; unique so an e-mail names one account. None after deletion.
    login_email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    claimed_from_till: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime]
    deleted_at: Mapped[dt.datetime | None]


class PortalSession(Base):
    """A signed-in browser. The cookie holds the random id; the row holds its hash."""

    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class ConsentRecord(Base):
    """One consent given or withdrawn (append-only): the LGPD history the shopper can see."""

    __tablename__ = "portal_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))  # terms | marketing_email | marketing_sms
    granted: Mapped[bool]
    at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(16))  # portal | till | deletion
    terms_version: Mapped[str | None] = mapped_column(String(32))


class PasswordResetToken(Base):
    """A one-time password-reset link; only the SHA-256 of its token is kept."""

    __tablename__ = "portal_password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
