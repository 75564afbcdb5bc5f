"""Cookie flags read from the Set-Cookie headers of the app served on a real loopback port:
SameSite=Lax always, HttpOnly, and Secure when configured or when the server's public base URL
is https:// (defect: SameSite was never set and Secure could not be configured)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from server.config import ConfigError, load_config
from server.cookies import secure_cookies
from server.db import get_engine
from tests.support.live import serving

from .conftest import PASSWORD, add_admin, build_app, empty_all

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def make(db_url: str) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = build_app(db_url, **overrides)
        app.config["TESTING"] = False  # as served: nothing of the test mode
        empty_all(app)
        apps.append(app)
        return app

    yield build
    for app in apps:
        get_engine(app).dispose()


def _login_headers(app: Flask) -> list[str]:
    """Log in over HTTP as a browser would; every Set-Cookie header seen on the way."""
    add_admin(app, "ana@hq.example")
    seen: list[str] = []
    with serving(app) as url:
        # Cookies are handed back by hand: a Secure cookie is one a browser keeps off plain
        # http://, and this test reads the flags, it does not need the browser's rule.
        page = requests.get(f"{url}/admin/login", timeout=10)
        seen += page.raw.headers.getlist("Set-Cookie")
        m = _TOKEN.search(page.text)
        assert m
        r = requests.post(
            f"{url}/admin/login",
            data={"email": "ana@hq.example", "password": PASSWORD, "csrf_token": m.group(1)},
            headers={"Cookie": _cookie(seen)},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 302
        seen += r.raw.headers.getlist("Set-Cookie")
        lang = requests.get(f"{url}/portal/signin?lang=en", timeout=10)
        seen += lang.raw.headers.getlist("Set-Cookie")
    assert any(h.startswith("session=") for h in seen)
    assert any(h.startswith("portal_lang=") for h in seen)
    return seen


def _cookie(headers: list[str]) -> str:
    return "; ".join(h.split(";", 1)[0] for h in headers)


def _flags(header: str) -> set[str]:
    return {p.strip().split("=")[0].lower() for p in header.split(";")[1:]}


def test_every_cookie_is_samesite_lax_and_httponly_and_not_secure_on_plain_http(make: Any) -> None:
    for header in _login_headers(make()):
        assert "SameSite=Lax" in header, header
        assert "httponly" in _flags(header), header
        assert "secure" not in _flags(header), header


def test_session_cookie_secure_true_makes_every_cookie_secure(make: Any) -> None:
    for header in _login_headers(make(SESSION_COOKIE_SECURE=True)):
        assert "secure" in _flags(header), header
        assert "SameSite=Lax" in header, header


def test_an_https_public_url_makes_cookies_secure_by_default(make: Any) -> None:
    app = make(PORTAL_BASE_URL="https://clube.example.com")
    for header in _login_headers(app):
        assert "secure" in _flags(header), header


def test_secure_false_wins_over_an_https_url() -> None:
    assert not secure_cookies({"SESSION_COOKIE_SECURE": False, "PORTAL_BASE_URL": "https://x"})
    assert secure_cookies({"SESSION_COOKIE_SECURE": "auto", "PORTAL_BASE_URL": "https://x"})
    assert not secure_cookies({"SESSION_COOKIE_SECURE": "auto", "PORTAL_BASE_URL": "http://x"})


def test_the_key_is_accepted_in_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text("session_cookie_secure = true\n", encoding="utf-8")
    assert secure_cookies(load_config(path, env={}))
    env = {"TILLCLUB_SERVER_SESSION_COOKIE_SECURE": "false"}
    assert not secure_cookies(load_config(None, env=env))
    with pytest.raises(ConfigError, match="session_cookie_secure"):
        secure_cookies({"SESSION_COOKIE_SECURE": "maybe"})
    path.write_text("portal_cookie_secure = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="portal_cookie_secure"):
        load_config(path, env={})  # one key: the old, never-used one is gone
