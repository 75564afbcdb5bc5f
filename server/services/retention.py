"""LGPD retention: delete what the documented retention periods say is no longer needed.

Each rule is a table, the column that dates a row and a config key giving the days it is kept
(docs/operations.md, "Retention"): password-reset tokens after they expired or were used,
portal sessions after they expired or were revoked, the head-office login lockout state after
the last failed attempt, and rejected sync events (their error message may quote what a till
sent) after they were last seen. Deletes run in batches of primary keys; a second run deletes
nothing. Ledger entries, sales, consents and the audit log are kept (accounting and proof).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from ..jobs.contract import JobContext, JobReport
from ..models import AdminLoginState, AdminSession, RejectedEvent
from ..models.portal import PasswordResetToken, PortalSession
from .uow import SqlUnitOfWork


@dataclass(frozen=True)
class Rule:
    name: str
    config_key: str
    key: InstrumentedAttribute[Any]  # primary key column

    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        raise NotImplementedError


class _ResetTokens(Rule):
    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        t = PasswordResetToken
        return or_(t.expires_at < cutoff, and_(t.used_at.is_not(None), t.used_at < cutoff))


class _PortalSessions(Rule):
    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        p = PortalSession
        return or_(p.expires_at < cutoff, and_(p.revoked_at.is_not(None), p.revoked_at < cutoff))


class _AdminLogins(Rule):
    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        a = AdminLoginState
        # never lift a lockout that is still running
        still_locked = and_(a.locked_until.is_not(None), a.locked_until > now)
        return and_(a.last_failed_at.is_not(None), a.last_failed_at < cutoff, ~still_locked)


class _AdminSessions(Rule):
    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        a = AdminSession
        # ended sessions, and open ones unused for the whole period (long past any timeout)
        return or_(and_(a.revoked_at.is_not(None), a.revoked_at < cutoff), a.last_seen_at < cutoff)


class _RejectedEvents(Rule):
    def condition(self, cutoff: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
        return RejectedEvent.last_seen_at < cutoff


RULES: tuple[Rule, ...] = (
    _ResetTokens("reset_tokens", "RETENTION_RESET_TOKEN_DAYS", PasswordResetToken.token_hash),
    _PortalSessions("portal_sessions", "RETENTION_PORTAL_SESSION_DAYS", PortalSession.id_hash),
    _AdminLogins("admin_login_states", "RETENTION_ADMIN_LOGIN_DAYS", AdminLoginState.user_id),
    _AdminSessions("admin_sessions", "RETENTION_ADMIN_LOGIN_DAYS", AdminSession.id_hash),
    _RejectedEvents("rejected_events", "RETENTION_REJECTED_EVENT_DAYS", RejectedEvent.event_id),
)


def retention_days(config: Any, key: str) -> int:
    """:raises ValueError: a period that is not a whole number of days ≥ 1."""
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key.lower()}: expected a whole number of days ≥ 1, got {value!r}")
    return value


def apply_retention(ctx: JobContext) -> JobReport:
    """Delete, rule by rule and in batches, every row older than its retention period."""
    uow = SqlUnitOfWork.for_app(ctx.app)
    report = JobReport()
    for rule in RULES:
        cutoff = ctx.now - dt.timedelta(days=retention_days(ctx.app.config, rule.config_key))
        table = rule.key.class_
        deleted = 0
        while True:
            with uow:
                stmt = select(rule.key).where(rule.condition(cutoff, ctx.now))
                keys = list(uow.session.scalars(stmt.limit(ctx.batch_size)))
                if not keys:
                    break
                # the condition again: a key need not be unique (rejected events are keyed
                # by terminal and event id), and a newer row sharing it must stay
                uow.session.execute(
                    delete(table).where(rule.key.in_(keys), rule.condition(cutoff, ctx.now))
                )
                uow.commit()
            deleted += len(keys)
        report.detail[rule.name] = deleted
        report.changed += deleted
    report.processed = report.changed
    return report
