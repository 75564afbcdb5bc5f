"""LGPD retention: what each period deletes and what it keeps; run twice = run once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from server.db import new_session
from server.jobs.contract import JobContext
from server.models import AdminLoginState, Member, RejectedEvent
from server.models.admin import AdminUser
from server.models.portal import PasswordResetToken, PortalSession
from server.services.admin_accounts import create_admin
from server.services.retention import apply_retention
from server.services.uow import SqlUnitOfWork

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def seed(app: Flask) -> None:
    with new_session(app) as s, s.begin():
        s.add(Member(id="m1", name="Ana", created_at=NOW - 400 * DAY, updated_at=NOW))
        s.flush()
        tokens = {
            "tok-expired-long-ago": (NOW - 10 * DAY, None),  # expired 10 days ago: gone (7)
            "tok-expired-recently": (NOW - 2 * DAY, None),  # kept
            "tok-used-long-ago": (NOW + DAY, NOW - 8 * DAY),  # used 8 days ago: gone
            "tok-live": (NOW + DAY, None),
        }
        for h, (expires, used) in tokens.items():
            s.add(PasswordResetToken(token_hash=h, member_id="m1", created_at=NOW - 20 * DAY,
                                     expires_at=expires, used_at=used))  # fmt: skip
        sessions = {
            "s-expired-old": (NOW - 31 * DAY, None),  # gone (30)
            "s-expired-new": (NOW - 29 * DAY, None),
            "s-revoked-old": (NOW + 5 * DAY, NOW - 40 * DAY),  # gone
            "s-live": (NOW + 5 * DAY, None),
        }
        for h, (expires, revoked) in sessions.items():
            s.add(PortalSession(id_hash=h, member_id="m1", session_version=1,
                                created_at=NOW - 60 * DAY, last_seen_at=NOW - 31 * DAY,
                                expires_at=expires, revoked_at=revoked))  # fmt: skip
        for eid, seen in (("E-old", NOW - 91 * DAY), ("E-new", NOW - 89 * DAY)):
            s.add(RejectedEvent(event_id=eid, terminal_id="T1", code="validation_failed",
                                message="bad", first_seen_at=seen, last_seen_at=seen,
                                attempts=3))  # fmt: skip
    for email in ("old@hq.example", "locked@hq.example", "new@hq.example"):
        create_admin(
            SqlUnitOfWork.for_app(app),
            email,
            "correct horse battery",
            role="auditor",
            store_ids=(),
            now=NOW,
        )
    with new_session(app) as s, s.begin():
        ids = dict(s.execute(select(AdminUser.email, AdminUser.id)).all())
        s.add(AdminLoginState(user_id=ids["old@hq.example"], failed_count=2,
                              last_failed_at=NOW - 31 * DAY, locked_until=None))  # fmt: skip
        s.add(AdminLoginState(user_id=ids["locked@hq.example"], failed_count=9,
                              last_failed_at=NOW - 31 * DAY, locked_until=NOW + DAY))  # fmt: skip
        s.add(AdminLoginState(user_id=ids["new@hq.example"], failed_count=1,
                              last_failed_at=NOW - DAY, locked_until=None))  # fmt: skip


def keys(app: Flask) -> dict[str, set[str]]:
    with new_session(app) as s:
        admins = s.execute(
            select(AdminUser.email).join(AdminLoginState, AdminLoginState.user_id == AdminUser.id)
        )
        return {
            "tokens": set(s.scalars(select(PasswordResetToken.token_hash))),
            "sessions": set(s.scalars(select(PortalSession.id_hash))),
            "rejected": set(s.scalars(select(RejectedEvent.event_id))),
            "logins": set(admins.scalars()),
        }


def test_deletes_what_is_past_its_period_and_keeps_the_rest(app: Flask) -> None:
    seed(app)
    report = apply_retention(JobContext(app, NOW, 1, "p"))  # batch of 1: every loop exercised
    assert report.detail == {
        "reset_tokens": 2, "portal_sessions": 2, "admin_login_states": 1, "admin_sessions": 0,
        "rejected_events": 1,
    }  # fmt: skip
    assert keys(app) == {
        "tokens": {"tok-expired-recently", "tok-live"},
        "sessions": {"s-expired-new", "s-live"},
        "rejected": {"E-new"},
        "logins": {"locked@hq.example", "new@hq.example"},  # a running lockout is never lifted
    }
    with new_session(app) as s:  # the member and the admin users themselves stay
        assert s.scalar(select(func.count()).select_from(Member)) == 1
        assert s.scalar(select(func.count()).select_from(AdminUser)) == 3


def test_running_twice_is_running_once(app: Flask) -> None:
    seed(app)
    apply_retention(JobContext(app, NOW, 100, "p"))
    once = keys(app)
    again = apply_retention(JobContext(app, NOW, 100, "p"))
    assert again.changed == 0
    assert keys(app) == once


def test_periods_come_from_config(make_app: Callable[..., Flask], app: Flask) -> None:
    seed(app)
    short = make_app(RETENTION_REJECTED_EVENT_DAYS=10, RETENTION_RESET_TOKEN_DAYS=1)
    apply_retention(JobContext(short, NOW, 100, "p"))
    left = keys(short)
    assert left["rejected"] == set()
    assert left["tokens"] == {"tok-live"}
