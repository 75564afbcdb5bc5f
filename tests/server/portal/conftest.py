"""Fixtures for the member portal: the app with the portal mounted, on SQLite and PostgreSQL.

The database is migrated with the real Alembic revisions (``heads``: the portal's revision
sits beside the other areas' until the lead links them). ``app`` mounts the portal with a QR
key made for the session and a movable clock; ``Shopper`` drives the pages like a browser
does (reads each form's CSRF token from the page it came from).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from loyalty.identification import card_number, verify_qr
from loyalty.money import Money
from loyalty.pricing import BasketLine, compile_rules, parse_member, price
from server import create_app
from server.db import Base, get_engine
from server.portal import init_app as init_portal
from server.portal.blueprint import PortalState
from server.services.terminals import add_store, register_terminal
from server.services.uow import SqlUnitOfWork
from tests.support.clock import MovableClock as Clock
from tests.support.databases import migrated_database
from tests.support.waiting import wait_for as wait_for

from ..conftest import SECRETS

VALID_CPF = "390.533.447-05"
OTHER_CPF = "111.444.777-35"
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def portal_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("portal"), "tc_portal") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database("sqlite", tmp_path_factory.mktemp("portal-sqlite")) as url:
        yield url


@pytest.fixture(scope="session")
def qr_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    path = tmp_path_factory.mktemp("keys") / "qr-signing-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path, key


def empty(app: Flask) -> None:
    with get_engine(app).begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "change_counter":
                conn.execute(text("UPDATE change_counter SET value = 0"))
            elif conn.dialect.has_table(conn, table.name):
                conn.execute(table.delete())


def build_app(db_url: str, key_path: Path, **overrides: Any) -> Flask:
    config = {
        "DATABASE_URL": db_url,
        "RATELIMIT_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "QR_PRIVATE_KEY_PATH": str(key_path),
        "WTF_CSRF_TIME_LIMIT": None,
        **SECRETS,
        **overrides,
    }
    app = create_app(config)
    init_portal(app)
    return app


@pytest.fixture
def make_app(
    portal_db: str, qr_key: tuple[Path, Ed25519PrivateKey]
) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = build_app(overrides.pop("DATABASE_URL", portal_db), qr_key[0], **overrides)
        if not made:
            empty(app)
        made.append(app)
        return app

    yield make
    for app in made:
        get_engine(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def clock(app: Flask) -> Clock:
    c = Clock(T0)
    state: PortalState = app.extensions["tillclub.portal"]
    state.clock = c
    return c


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_of(page: TestResponse) -> str:
    m = _CSRF.search(page.get_data(as_text=True))
    assert m is not None, "no CSRF token on the page"
    return m.group(1) or m.group(2)


class Shopper:
    """A browser-like client: GET the page, POST its form with the token it carried."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post_form(
        self, page_url: str, data: dict[str, Any], action: str | None = None
    ) -> TestResponse:
        page = self.client.get(page_url)
        assert page.status_code == 200, page.status_code
        return self.client.post(action or page_url, data={"csrf_token": csrf_of(page), **data})

    def join(
        self, cpf: str = VALID_CPF, email: str | None = "ana@example.com", **extra: Any
    ) -> TestResponse:
        data = {
            "cpf": cpf,
            "name": "Ana Souza",
            "email": email or "",
            "phone": extra.pop("phone", ""),
            "birth_date": "1990-05-17",
            "password": "correct horse 1",
            "password_confirm": "correct horse 1",
            "consent_terms": "y",
            **extra,
        }
        return self.post_form("/portal/join", {k: v for k, v in data.items() if v is not None})

    def sign_in(
        self, identifier: str = "ana@example.com", password: str = "correct horse 1"
    ) -> TestResponse:
        return self.post_form("/portal/signin", {"identifier": identifier, "password": password})


@pytest.fixture
def shopper(app: Flask, clock: Clock) -> Shopper:
    return Shopper(app.test_client())


def b64(n: bytes) -> str:
    return base64.b64encode(n).decode()


class _PortZeroController:
    """aiosmtpd's Controller on a port the OS picks (it pokes its own port once started)."""

    def __new__(cls, handler: Any) -> Any:
        from aiosmtpd.controller import Controller

        class PortZero(Controller):
            def _trigger_server(self) -> None:
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        return PortZero(handler, hostname="127.0.0.1", port=0)


class Mailbox:
    """A real SMTP server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = _PortZeroController(box)
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


class LiveServer:
    """The app served over real HTTP on 127.0.0.1 (port chosen by the OS), in a thread."""

    def __init__(self, app: Flask) -> None:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def live(app: Flask, clock: Clock) -> Iterator[LiveServer]:
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()


COFFEE = "7896005800010"
CAMPAIGN = {
    "rules": [
        {
            "id": "pontos",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        }
    ]
}


class TillCache:
    """What an agent keeps from ``GET /api/v1/changes``: the latest record per (type, id)."""

    def __init__(self, base: str, credential: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {credential}"}
        self.cursor = 0
        self.records: dict[tuple[str, str], dict[str, Any]] = {}

    def sync(self) -> list[dict[str, Any]]:
        seen = []
        while True:
            r = requests.get(
                f"{self.base}/api/v1/changes",
                params={"cursor": self.cursor, "limit": 2},
                headers=self.headers,
                timeout=10,
            )
            assert r.status_code == 200, r.text
            body = r.json()
            for change in body["changes"]:
                key = (change["type"], change["id"])
                if change["deleted"]:
                    self.records.pop(key, None)
                else:
                    self.records[key] = change["data"]
                seen.append(change)
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return seen

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for (t, _), data in self.records.items() if t == kind]

    def member_for_qr(self, token: str, public: Any, now: dt.datetime) -> str:
        number = card_number(verify_qr(token, public, now=now).member_id, "29")
        card = self.records[("card", number)]
        assert card["status"] == "active"
        return str(card["member_id"])

    def price(self, member_id: str, now: dt.datetime) -> Any:
        offers = [o for o in self.of("offer") if o["member_id"] == member_id and o["active"]]
        rules = [r for c in self.of("campaign") if c["active"] for r in c["document"]["rules"]]
        ruleset = compile_rules({"rules": rules + [o["rule"] for o in offers]})
        member = parse_member(
            {
                "id": member_id,
                "activated_offers": [o["rule"]["id"] for o in offers if o["activated_at"]],
            }
        )
        basket = [
            BasketLine(sku=COFFEE, qty=Decimal(1), unit_price=Money("17.49"), category="mercearia")
        ]
        return price(ruleset, basket, member, "LOJA-01", now)


def enrol_terminal_http(app: Flask, live: LiveServer) -> str:
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Loja Centro")
    reg = register_terminal(SqlUnitOfWork.for_app(app), "LOJA-01", "PDV 1", ttl_hours=1)
    r = requests.post(
        f"{live.url}/api/v1/terminals/register", json={"code": reg.registration_code}, timeout=10
    )
    assert r.status_code == 201, r.text
    return str(r.json()["credential"])


def form_post(
    http: requests.Session, url: str, action: str, data: dict[str, str]
) -> requests.Response:
    page = http.get(url, timeout=10)
    m = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert m is not None
    return http.post(
        action, data={"csrf_token": m.group(1), **data}, timeout=10, allow_redirects=False
    )


ANA_SIGN_UP = {
    "cpf": "390.533.447-05",
    "name": "Ana Souza",
    "email": "ana@example.com",
    "birth_date": "1990-05-17",
    "password": "correct horse 1",
    "password_confirm": "correct horse 1",
    "consent_terms": "y",
}


def join_online(http: requests.Session, base_url: str) -> None:
    """Ana joins through the real /portal/join form (CSRF token and all)."""
    r = form_post(http, f"{base_url}/portal/join", f"{base_url}/portal/join", ANA_SIGN_UP)
    assert r.status_code == 302, r.text


def agent_for(tmp: Path, app: Flask, url: str, public_pem: bytes) -> Any:
    """A real tillclub agent enrolled at the server on ``url``, trusting ``public_pem`` for QR."""
    from agent.config import load_config
    from agent.service import Agent, Credential, write_credential
    from agent.sync import register as agent_register

    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Loja Centro")
    code = register_terminal(
        SqlUnitOfWork.for_app(app), "LOJA-01", "PDV 1", ttl_hours=1
    ).registration_code
    body = agent_register(url, code)
    write_credential(
        tmp / "credential.json",
        Credential(body["credential"], body["terminal_id"], body["store_id"]),
    )
    (tmp / "qr.pub").write_bytes(public_pem)
    (tmp / "cpf.secret").write_text(SECRETS["CPF_HASH_SECRET"])
    (tmp / "agent.toml").write_text(
        f'[server]\nurl = "{url}"\ncredential_file = "{tmp / "credential.json"}"\n'
        "timeout_seconds = 2\nsync_interval_seconds = 0.2\nmax_backoff_seconds = 1\n"
        '[terminal]\nstore = "LOJA-01"\n'
        f'[storage]\ncache_path = "{tmp / "cache.sqlite3"}"\n'
        f'journal_path = "{tmp / "journal.sqlite3"}"\n'
        f'[identification]\nqr_public_key = "{tmp / "qr.pub"}"\n'
        f'cpf_hash_secret_file = "{tmp / "cpf.secret"}"\n'
    )
    return Agent(load_config(tmp / "agent.toml"))
