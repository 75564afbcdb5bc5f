"""Head-office sessions are rows at the server: log-out, a password change and deactivating
the user end them, so an old cookie opens nothing (defect: a logged-out cookie kept working)."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AdminSession, AdminUser, AuditLog
from server.services import admin_accounts
from server.services.uow import SqlUnitOfWork

from .conftest import PASSWORD, Office, add_admin

NEW_PASSWORD = "a brand new passphrase"


def _user_id(app: Flask, email: str) -> int:
    with new_session(app) as s:
        return s.scalars(select(AdminUser.id).where(AdminUser.email == email)).one()


def _logged_in(app: Flask, email: str) -> Office:
    o = Office(app.test_client())
    assert o.login(email).status_code == 302
    assert o.get("/admin/").status_code == 200
    return o


def _replay(app: Flask, cookie: str) -> int:
    """GET /admin/ from a fresh browser holding only a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/").status_code


def test_an_old_cookie_no_longer_opens_admin_after_logout(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    o = _logged_in(app, "ana@hq.example")
    stolen = o.client.get_cookie("session")
    assert stolen is not None
    assert _replay(app, stolen.value) == 200  # the copy works while the session lives
    assert o.post("/admin/logout").status_code == 302
    assert _replay(app, stolen.value) == 302
    with new_session(app) as s:
        row = s.scalars(select(AdminSession)).one()
    assert row.revoked_at is not None
    assert row.revoked_reason == "logout"


def test_the_cookie_holds_no_user_id_and_the_table_no_session_id(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    o = _logged_in(app, "ana@hq.example")
    with o.client.session_transaction() as sess:
        sid = sess["admin_sid"]
        assert "admin_uid" not in sess
    with new_session(app) as s:
        hashes = list(s.scalars(select(AdminSession.id_hash)))
    assert len(sid) >= 40
    assert sid not in hashes
    assert len(hashes) == 1


def test_changing_a_password_ends_every_session_of_that_user_only(app: Flask) -> None:
    add_admin(app, "boss@hq.example")
    add_admin(app, "ana@hq.example")
    boss = _logged_in(app, "boss@hq.example")
    phone, laptop = _logged_in(app, "ana@hq.example"), _logged_in(app, "ana@hq.example")
    r = boss.post(
        f"/admin/users/{_user_id(app, 'ana@hq.example')}/password",
        {"new_password": NEW_PASSWORD},
        from_page="/admin/users",
    )
    assert r.status_code == 302
    assert "2 session(s)" in boss.get("/admin/users").get_data(as_text=True)
    assert phone.get("/admin/").status_code == 302
    assert laptop.get("/admin/").status_code == 302
    assert boss.get("/admin/").status_code == 200
    assert Office(app.test_client()).login("ana@hq.example", PASSWORD).status_code == 401
    assert Office(app.test_client()).login("ana@hq.example", NEW_PASSWORD).status_code == 302
    with new_session(app) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "admin_user.password")).one()
    assert NEW_PASSWORD not in str(audit.detail)
    assert "argon2" not in str(audit.detail)


def test_a_weak_new_password_changes_nothing(app: Flask) -> None:
    add_admin(app, "boss@hq.example")
    add_admin(app, "ana@hq.example")
    boss = _logged_in(app, "boss@hq.example")
    ana = _logged_in(app, "ana@hq.example")
    boss.post(
        f"/admin/users/{_user_id(app, 'ana@hq.example')}/password",
        {"new_password": "short"},
        from_page="/admin/users",
    )
    assert ana.get("/admin/").status_code == 200
    assert Office(app.test_client()).login("ana@hq.example").status_code == 302


def test_deactivating_a_user_ends_their_sessions_for_good(app: Flask) -> None:
    add_admin(app, "boss@hq.example")
    add_admin(app, "ana@hq.example")
    boss = _logged_in(app, "boss@hq.example")
    ana = _logged_in(app, "ana@hq.example")
    cookie = ana.client.get_cookie("session")
    assert cookie is not None
    uid = _user_id(app, "ana@hq.example")
    boss.post(f"/admin/users/{uid}/deactivate", {}, from_page="/admin/users")
    assert ana.get("/admin/").status_code == 302
    # re-activating does not bring the old session back
    boss.post(f"/admin/users/{uid}/activate", {}, from_page="/admin/users")
    assert _replay(app, cookie.value) == 302
    with new_session(app) as s:
        reasons = set(s.scalars(select(AdminSession.revoked_reason)))
    assert "deactivated" in reasons


def test_set_password_use_case_is_what_the_page_calls(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    _logged_in(app, "ana@hq.example")
    ended = admin_accounts.set_password(
        SqlUnitOfWork.for_app(app),
        _user_id(app, "ana@hq.example"),
        NEW_PASSWORD,
        actor="cli",
        now=dt.datetime.now(dt.UTC),
    )
    assert ended == 1
