"""Head-office users, their roles, login state and store scopes, and the audit log of every
administrative change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[list[Any]]


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]


class AuditLog(Base):
    """Who did what to which record; ``detail`` never holds a CPF, card number or secret."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime]
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)


class AdminLoginState(Base):
    """Failed logins in a row and the lockout they caused (one row per admin user)."""

    __tablename__ = "admin_login_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]


class AdminUserStore(Base):
    """A store a store manager may see; managers without rows see nothing."""

    __tablename__ = "admin_user_stores"

    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), primary_key=True)


class AdminSession(Base):
    """A logged-in browser of the head-office UI. The cookie holds the random id; the row its
    SHA-256, so a copy of the table opens nothing. Log-out, a password change and deactivating
    the user set ``revoked_at``; the idle and absolute timeouts are checked against the times."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), index=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    # logout | password | deactivated | idle | expired: why it ended (audit, support)
    revoked_reason: Mapped[str | None] = mapped_column(String(16))
