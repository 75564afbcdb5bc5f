"""Access: argon2 logins, lockout, session timeouts, CSRF, roles and the audit trail of logins."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AdminUser, AuditLog
from server.services.admin_accounts import AccountError, create_admin
from server.services.uow import SqlUnitOfWork

from .conftest import PASSWORD, Office, add_admin, add_store, token


def test_password_is_stored_as_argon2id_and_login_works(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    with new_session(app) as s:
        user = s.scalars(select(AdminUser)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    o = Office(app.test_client())
    r = o.login("ANA@hq.example ")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/admin/")
    assert "ana@hq.example" in o.get("/admin/").get_data(as_text=True)


def test_wrong_password_is_refused_with_one_message_for_unknown_and_known_emails(
    app: Flask,
) -> None:
    add_admin(app, "ana@hq.example")
    o = Office(app.test_client())
    known = o.login("ana@hq.example", "wrong password!!")
    unknown = o.login("nobody@hq.example", "wrong password!!")
    assert known.status_code == unknown.status_code == 401
    assert known.get_data(as_text=True).count("not accepted") == 1
    assert unknown.get_data(as_text=True).count("not accepted") == 1
    assert o.get("/admin/members").status_code == 302  # still logged out


def test_lockout_after_repeated_failures_refuses_even_the_right_password(app: Flask) -> None:
    app.config["ADMIN_LOCKOUT_THRESHOLD"] = 3
    add_admin(app, "ana@hq.example")
    o = Office(app.test_client())
    for _ in range(3):
        assert o.login("ana@hq.example", "wrong password!!").status_code == 401
    assert o.login("ana@hq.example").status_code == 401  # locked
    with new_session(app) as s:
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("login.locked") == 1
    assert actions[-1] == "login.failed"


def test_lock_expires(app: Flask) -> None:
    app.config["ADMIN_LOCKOUT_THRESHOLD"] = 2
    app.config["ADMIN_LOCKOUT_MINUTES"] = 0
    add_admin(app, "ana@hq.example")
    o = Office(app.test_client())
    o.login("ana@hq.example", "wrong password!!")
    o.login("ana@hq.example", "wrong password!!")
    assert o.login("ana@hq.example").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(app: Flask, office: Office) -> None:
    r = office.client.post("/admin/stores", data={"store_id": "LOJA-9", "name": "Nine"})
    assert r.status_code == 400
    assert "security token" in r.get_data(as_text=True)
    bad = office.client.post(
        "/admin/stores", data={"store_id": "LOJA-9", "name": "Nine", "csrf_token": "forged"}
    )
    assert bad.status_code == 400
    ok = office.post("/admin/stores", {"store_id": "LOJA-9", "name": "Nine"})
    assert ok.status_code == 302
    assert "LOJA-9" in office.get("/admin/stores").get_data(as_text=True)


def test_login_form_itself_needs_the_token(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    client = app.test_client()
    r = client.post("/admin/login", data={"email": "ana@hq.example", "password": PASSWORD})
    assert r.status_code == 400


def _later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    """Move the server's clock ``delta`` ahead of now for the rest of the test."""
    at = dt.datetime.now(dt.UTC) + dt.timedelta(**delta)
    monkeypatch.setattr("server.clock.now", lambda: at)


def test_idle_session_expires(app: Flask, office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    assert office.get("/admin/members").status_code == 200
    cookie = office.client.get_cookie("session")
    assert cookie is not None
    _later(monkeypatch, minutes=31)
    r = office.get("/admin/members")
    assert r.status_code == 302
    assert "/admin/login" in r.headers["Location"]
    # the idle session is revoked at the server: the same cookie never comes back
    monkeypatch.undo()
    office.client.set_cookie("session", cookie.value)
    assert office.get("/admin/members").status_code == 302


def test_activity_keeps_the_session_until_the_absolute_lifetime(
    app: Flask, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    for step in range(1, 36):  # a request every 20 minutes: never idle for 30
        _later(monkeypatch, minutes=20 * step)
        assert office.get("/admin/").status_code == 200, step
    _later(monkeypatch, hours=12, minutes=1)
    assert office.get("/admin/").status_code == 302


def test_absolute_session_lifetime(
    app: Flask, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _later(monkeypatch, hours=13)
    assert office.get("/admin/").status_code == 302


def test_deactivated_user_is_logged_out_at_once(app: Flask, office: Office) -> None:
    with new_session(app) as s, s.begin():
        s.scalars(select(AdminUser)).one().active = False
    assert office.get("/admin/").status_code == 302


def test_logout_ends_the_session(app: Flask, office: Office) -> None:
    assert office.post("/admin/logout").status_code == 302
    assert office.get("/admin/").status_code == 302


def test_roles_limit_pages(app: Flask) -> None:
    add_store(app, "LOJA-01")
    add_admin(app, "mkt@hq.example", "marketing")
    add_admin(app, "aud@hq.example", "auditor")
    add_admin(app, "ger@hq.example", "store_manager", ("LOJA-01",))
    mkt, aud, ger = (Office(app.test_client()) for _ in range(3))
    mkt.login("mkt@hq.example")
    aud.login("aud@hq.example")
    ger.login("ger@hq.example")
    assert mkt.get("/admin/audit").status_code == 403
    assert aud.get("/admin/audit").status_code == 200
    assert ger.get("/admin/campaigns").status_code == 403
    # The auditor reads but cannot change: a well-formed POST is still 403.
    assert aud.post("/admin/stores", {"store_id": "X1", "name": "X"}).status_code == 403
    assert aud.post("/admin/campaigns", {"campaign_id": "c1", "name": "C"}).status_code == 403


def test_store_manager_cannot_see_another_store(app: Flask) -> None:
    add_store(app, "LOJA-01")
    add_store(app, "LOJA-02")
    add_admin(app, "ger@hq.example", "store_manager", ("LOJA-01",))
    ger = Office(app.test_client())
    ger.login("ger@hq.example")
    assert ger.get("/admin/stores/LOJA-01").status_code == 200
    assert ger.get("/admin/stores/LOJA-02").status_code == 403
    listing = ger.get("/admin/stores").get_data(as_text=True)
    assert "LOJA-01" in listing
    assert "LOJA-02" not in listing
    assert ger.post("/admin/stores/LOJA-02/terminals", {"name": "PDV"}).status_code == 403


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"email": "not-an-email"}, "not an e-mail"),
        ({"password": "short"}, "at least 12"),
        ({"role": "owner"}, "unknown role"),
        ({"role": "store_manager"}, "needs at least one store"),
        ({"role": "store_manager", "store_ids": ("NOPE",)}, "unknown store"),
    ],
)
def test_create_admin_validates(app: Flask, kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {"email": "x@hq.example", "password": PASSWORD, **kwargs}
    email, password = str(args.pop("email")), str(args.pop("password"))
    with pytest.raises(AccountError, match=fragment):
        create_admin(
            SqlUnitOfWork.for_app(app), email, password, now=dt.datetime.now(dt.UTC), **args
        )  # type: ignore[arg-type]


def test_open_redirect_after_login_is_refused(app: Flask) -> None:
    add_admin(app, "ana@hq.example")
    client = app.test_client()
    page = client.get("/admin/login?next=https://evil.example/")
    r = client.post(
        "/admin/login?next=https://evil.example/",
        data={"email": "ana@hq.example", "password": PASSWORD, "csrf_token": token(page)},
    )
    assert r.headers["Location"].endswith("/admin/")


def test_admin_creates_unlocks_and_deactivates_users_audited(app: Flask, office: Office) -> None:
    add_store(app, "LOJA-01")
    weak = office.post(
        "/admin/users",
        {
            "email": "ger@hq.example",
            "role": "store_manager",
            "stores": "LOJA-01",
            "password": "short",
        },
        from_page="/admin/users",
    )
    assert weak.status_code == 400
    r = office.post(
        "/admin/users",
        {
            "email": "ger@hq.example",
            "role": "store_manager",
            "stores": "LOJA-01",
            "password": PASSWORD,
        },
        from_page="/admin/users",
    )
    assert r.status_code == 302
    app.config["ADMIN_LOCKOUT_THRESHOLD"] = 1
    ger = Office(app.test_client())
    ger.login("ger@hq.example", "wrong password!!")
    assert ger.login("ger@hq.example").status_code == 401
    with new_session(app) as s:
        uid = s.scalars(select(AdminUser.id).where(AdminUser.email == "ger@hq.example")).one()
    assert "locked until" in office.get("/admin/users").get_data(as_text=True)
    assert office.post(f"/admin/users/{uid}/unlock", from_page="/admin/users").status_code == 302
    assert ger.login("ger@hq.example").status_code == 302
    assert (
        office.post(f"/admin/users/{uid}/deactivate", from_page="/admin/users").status_code == 302
    )
    assert ger.get("/admin/").status_code == 302  # logged out at once
    with new_session(app) as s:
        actions = [
            a.action for a in s.scalars(select(AuditLog).where(AuditLog.target_id == str(uid)))
        ]
    assert {
        "admin_user.create",
        "admin_user.unlock",
        "admin_user.deactivate",
        "login.locked",
    } <= set(actions)
    mkt = Office(app.test_client())
    add_admin(app, "mkt@hq.example", "marketing")
    mkt.login("mkt@hq.example")
    assert mkt.get("/admin/users").status_code == 403


def test_login_attempts_are_rate_limited_per_address(db_url: str) -> None:
    from server.db import get_engine

    from .conftest import build_app, empty_all

    app = build_app(db_url, RATELIMIT_ENABLED=True, ADMIN_LOGIN_RATE_LIMIT="3/minute")
    empty_all(app)
    try:
        o = Office(app.test_client())
        answers = [o.login(f"user{i}@hq.example", "wrong password!!") for i in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert "Too many login attempts" in answers[-1].get_data(as_text=True)
    finally:
        get_engine(app).dispose()
