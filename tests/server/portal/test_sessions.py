"""Shopper sessions: forged, foreign-key, stale, expired and signed-out cookies are refused."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import select

from server.db import new_session
from server.models.portal import PortalSession

from .conftest import Clock, Shopper, csrf_of


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    other = app.test_client()
    other.set_cookie("session", value, domain="localhost")
    return other


def _refused(client: FlaskClient) -> bool:
    r = client.get("/portal/")
    return r.status_code == 302 and "/portal/signin" in r.headers["Location"]


def test_a_signed_in_cookie_works_from_another_client(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    assert _with_cookie(app, _cookie(shopper.client)).get("/portal/").status_code == 200


def test_a_tampered_cookie_is_refused(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    value = _cookie(shopper.client)
    payload, rest = value.split(".", 1)
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    assert _refused(_with_cookie(app, forged))


def test_a_cookie_signed_with_another_key_is_refused(
    app: Flask, make_app: Callable[..., Flask], shopper: Shopper
) -> None:
    shopper.join()
    with app.test_request_context():
        sid = SecureCookieSessionInterface().open_session(
            app, _request_with(app, _cookie(shopper.client))
        )
    assert sid is not None
    assert "portal_sid" in sid
    other = make_app(SECRET_KEY="another-secret-key-of-enough-length")
    serializer = SecureCookieSessionInterface().get_signing_serializer(other)
    assert serializer is not None
    forged = serializer.dumps(dict(sid))  # the real session id, signed with the wrong key
    assert _refused(_with_cookie(app, forged))
    assert _with_cookie(app, _cookie(shopper.client)).get("/portal/").status_code == 200


def _request_with(app: Flask, cookie: str) -> object:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    builder = EnvironBuilder(path="/", headers={"Cookie": f"session={cookie}"})
    return Request(builder.get_environ())


def test_a_guessed_session_id_signed_with_the_right_key_is_refused(
    app: Flask, shopper: Shopper
) -> None:
    shopper.join()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    forged = serializer.dumps({"portal_sid": "A" * 43})
    assert _refused(_with_cookie(app, forged))


def test_a_session_from_before_a_password_change_is_stale(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    old = _cookie(shopper.client)
    r = shopper.post_form(
        "/portal/password",
        {
            "current": "correct horse 1",
            "password": "new horse 22",
            "password_confirm": "new horse 22",
        },
    )
    assert r.status_code == 302
    assert shopper.client.get("/portal/").status_code == 200  # this browser got a fresh session
    stale = _with_cookie(app, old)
    r = stale.get("/portal/")
    assert r.status_code == 302
    assert "expired=1" in r.headers["Location"]
    assert "Sua sessão terminou" in stale.get(r.headers["Location"]).get_data(as_text=True)


def test_a_wrong_current_password_changes_nothing(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    old = _cookie(shopper.client)
    r = shopper.post_form(
        "/portal/password",
        {"current": "wrong one", "password": "new horse 22", "password_confirm": "new horse 22"},
    )
    assert r.status_code == 400
    assert "senha atual não confere" in r.get_data(as_text=True)
    assert _with_cookie(app, old).get("/portal/").status_code == 200


def test_a_session_past_its_lifetime_is_refused(app: Flask, shopper: Shopper, clock: Clock) -> None:
    shopper.join()
    clock.advance(hours=24 * 30 - 1)
    assert shopper.client.get("/portal/").status_code == 200
    clock.advance(hours=1)
    assert _refused(shopper.client)


def test_signing_out_ends_the_session_on_the_server(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    copy = _cookie(shopper.client)
    r = shopper.client.post(
        "/portal/signout", data={"csrf_token": csrf_of(shopper.client.get("/portal/"))}
    )
    assert r.status_code == 302
    assert r.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert _refused(_with_cookie(app, copy))  # replaying the old cookie does not work
    with app.app_context(), new_session() as s:
        assert all(row.revoked_at is not None for row in s.scalars(select(PortalSession)))


def test_the_session_row_holds_only_a_hash_of_the_id(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    with app.test_request_context():
        data = SecureCookieSessionInterface().open_session(
            app, _request_with(app, _cookie(shopper.client))
        )
    assert data is not None
    sid = data["portal_sid"]
    with app.app_context(), new_session() as s:
        hashes = list(s.scalars(select(PortalSession.id_hash)))
    assert sid not in hashes
    assert len(hashes) == 1
    assert len(hashes[0]) == 64


def test_a_session_of_an_older_account_version_is_refused_even_if_not_revoked(
    app: Flask, shopper: Shopper
) -> None:
    """Password changes also revoke the rows; the version check is the second lock (a row
    missed by a concurrent sign-in while the password changed still dies)."""
    shopper.join()
    from server.models.portal import PortalAccount

    with app.app_context(), new_session() as s, s.begin():
        account = s.scalars(select(PortalAccount)).one()
        account.session_version += 1
    assert _refused(shopper.client)
