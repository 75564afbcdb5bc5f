"""Password reset through a real SMTP server on loopback, and rate limits on sign-in and reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from .conftest import T0, Clock, Mailbox, Shopper


def _link(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    m = re.search(r"https?://\S+/portal/reset/(\S+)", body)
    assert m is not None, body
    return "/portal/reset/" + m.group(1)


def _portal(make_app: Callable[..., Flask], port: int, **extra: Any) -> tuple[Flask, Clock]:
    app = make_app(PORTAL_SMTP_PORT=port, PORTAL_BASE_URL="https://clube.example.com", **extra)
    clock = Clock(T0)
    app.extensions["tillclub.portal"].clock = clock
    return app, clock


def test_reset_by_e_mailed_link_works_once_and_ends_old_sessions(
    make_app: Callable[..., Flask], smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, _ = _portal(make_app, port)
    ana = Shopper(app.test_client())
    ana.join()
    phone = ana.client.get_cookie("session")
    assert phone is not None
    stranger = Shopper(app.test_client())
    r = stranger.post_form("/portal/reset", {"email": "ANA@example.com"})
    assert r.status_code == 200
    assert "Confira seu e-mail" in r.get_data(as_text=True)
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert msg["To"] == "ana@example.com"
    assert "senha" in msg["Subject"].lower()
    link = _link(msg)
    assert "https://clube.example.com/portal/reset/" in msg.get_body().get_content()
    r = stranger.post_form(
        link, {"password": "brand new pass", "password_confirm": "brand new pass"}
    )
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/portal/signin")
    # The link is spent, the old password and the old session are gone, the new password works.
    assert stranger.client.get(link).status_code == 400
    assert Shopper(app.test_client()).sign_in(password="correct horse 1").status_code == 401
    old = app.test_client()
    old.set_cookie("session", phone.value, domain="localhost")
    assert old.get("/portal/").status_code == 302
    assert Shopper(app.test_client()).sign_in(password="brand new pass").status_code == 302


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    make_app: Callable[..., Flask], smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, _ = _portal(make_app, port)
    Shopper(app.test_client()).join()
    known = Shopper(app.test_client()).post_form("/portal/reset", {"email": "ana@example.com"})
    unknown = Shopper(app.test_client()).post_form("/portal/reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert len(box.messages) == 1


def test_an_expired_or_forged_link_is_refused(
    make_app: Callable[..., Flask], smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, clock = _portal(make_app, port)
    Shopper(app.test_client()).join()
    Shopper(app.test_client()).post_form("/portal/reset", {"email": "ana@example.com"})
    link = _link(box.messages[0])
    c = app.test_client()
    assert c.get(link).status_code == 200
    assert c.get(link[:-3] + "xyz").status_code == 400
    clock.advance(minutes=30)
    r = c.get(link)
    assert r.status_code == 400
    assert "expirou" in r.get_data(as_text=True)


def test_a_weak_new_password_keeps_the_link_usable(
    make_app: Callable[..., Flask], smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, _ = _portal(make_app, port)
    Shopper(app.test_client()).join()
    Shopper(app.test_client()).post_form("/portal/reset", {"email": "ana@example.com"})
    link = _link(box.messages[0])
    s = Shopper(app.test_client())
    r = s.post_form(link, {"password": "short", "password_confirm": "short"})
    assert r.status_code == 400
    assert "pelo menos 8" in r.get_data(as_text=True)
    assert (
        s.post_form(
            link, {"password": "long enough 1", "password_confirm": "long enough 1"}
        ).status_code
        == 302
    )


def test_sign_in_is_rate_limited_per_identifier_and_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        RATELIMIT_ENABLED=True,
        PORTAL_RATELIMIT_SIGNIN_PER_ID="3/minute",
        PORTAL_RATELIMIT_SIGNIN="5/minute",
    )
    Shopper(app.test_client()).join()
    s = Shopper(app.test_client())
    codes = [s.sign_in(password=f"guess {i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    r = s.sign_in()  # even the right password waits: the limit is on attempts
    assert r.status_code == 429
    assert "Muitas tentativas" in r.get_data(as_text=True)
    assert "Retry-After" in r.headers
    # Other identifiers from the same address: allowed until the address has made 5 attempts.
    codes = [s.sign_in(identifier=f"other{i}@example.com").status_code for i in range(4)]
    assert codes[0] == 401
    assert codes[-1] == 429
    assert 3 + codes.count(401) <= 5


def test_reset_requests_are_rate_limited(
    make_app: Callable[..., Flask], smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, _ = _portal(make_app, port, RATELIMIT_ENABLED=True, PORTAL_RATELIMIT_RESET="2/minute")
    Shopper(app.test_client()).join()
    s = Shopper(app.test_client())
    codes = [
        s.post_form("/portal/reset", {"email": "ana@example.com"}).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert len(box.messages) == 2


def test_a_down_mail_server_answers_the_same(make_app: Callable[..., Flask]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]  # closed again below: nothing listens there
    app, _ = _portal(make_app, dead_port)
    Shopper(app.test_client()).join()
    r = Shopper(app.test_client()).post_form("/portal/reset", {"email": "ana@example.com"})
    assert r.status_code == 200
    assert "Confira seu e-mail" in r.get_data(as_text=True)


def test_password_checks_of_a_signed_in_member_are_rate_limited(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, PORTAL_RATELIMIT_SIGNIN_PER_ID="2/minute")
    s = Shopper(app.test_client())
    s.join()
    wrong = {"current": "nope", "password": "new horse 22", "password_confirm": "new horse 22"}
    codes = [s.post_form("/portal/password", wrong).status_code for _ in range(2)]
    codes.append(
        s.post_form(
            "/portal/privacy", {"password": "nope", "confirm": "y"}, action="/portal/privacy/delete"
        ).status_code
    )
    assert codes == [400, 400, 429]
