"""Fixtures for the head-office UI: the server app with the admin area mounted, on SQLite and
PostgreSQL (the parent conftest's ``db_url``), admin users of each role, and ``Browser``-like
helpers for the Flask test client that read each form's CSRF token from the page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from server import create_app
from server.admin import init_app as init_admin
from server.db import Base, get_engine, new_session
from server.models import Store
from server.services.admin_accounts import create_admin
from server.services.uow import SqlUnitOfWork

from ..conftest import make_config

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def empty_all(app: Flask) -> None:
    """Every table emptied; on PostgreSQL the audit log's guard is lifted for this transaction."""
    engine = get_engine(app)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL tillclub.audit_purge = 'on'"))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "change_counter":
                conn.execute(text("UPDATE change_counter SET value = 0"))
            else:
                conn.execute(table.delete())


def build_app(db_url: str, **overrides: Any) -> Flask:
    app = create_app(make_config(db_url, **overrides))
    init_admin(app)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    app = build_app(db_url)
    empty_all(app)
    yield app
    get_engine(app).dispose()


def add_store(app: Flask, store_id: str, name: str = "") -> None:
    with new_session(app) as s, s.begin():
        s.add(
            Store(
                id=store_id,
                name=name or f"Loja {store_id}",
                active=True,
                created_at=dt.datetime.now(dt.UTC),
            )
        )


def add_admin(app: Flask, email: str, role: str = "admin", stores: tuple[str, ...] = ()) -> None:
    create_admin(
        SqlUnitOfWork.for_app(app),
        email,
        PASSWORD,
        role=role,
        store_ids=stores,
        now=dt.datetime.now(dt.UTC),
    )


def token(page: TestResponse | str) -> str:
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    m = _TOKEN.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


class Office:
    """A head-office user driving the test client like a browser (CSRF tokens from pages)."""

    def __init__(self, client: FlaskClient, lang: str = "en") -> None:
        self.client = client
        client.set_cookie("tc_admin_lang", lang)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        page = self.client.get("/admin/login")
        return self.client.post(
            "/admin/login", data={"email": email, "password": password, "csrf_token": token(page)}
        )

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, **kw)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        from_page: str | None = None,
        **kw: Any,
    ) -> TestResponse:
        page = self.client.get(from_page or "/admin/")
        t = token(page)
        extra = {
            f"{k.split('-', 1)[0]}-csrf_token": t
            for k in (data or {})
            if "-" in k and not k.startswith(("valid", "applies", "audience"))
        }
        return self.client.post(path, data={**(data or {}), "csrf_token": t, **extra}, **kw)


@pytest.fixture
def office(app: Flask) -> Office:
    add_admin(app, "ana@hq.example", "admin")
    o = Office(app.test_client())
    r = o.login("ana@hq.example")
    assert r.status_code == 302, r.get_data(as_text=True)
    return o
