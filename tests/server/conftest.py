"""Fixtures for the server tests: ``app`` and ``client`` on a SQLite file and on PostgreSQL.

Each backend's database is created once per session and migrated with the real Alembic
migrations; every test starts from empty tables. PostgreSQL is the real server on
127.0.0.1:5432 (a fresh database per session, dropped at the end), never skipped.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from loyalty.rewards.ids import (
    make_entry_id,
    make_event_id,
    make_member_id,
    make_refund_id,
    make_sale_id,
)
from server import create_app
from server.db import Base, get_engine
from server.models import load_all
from server.services.terminals import add_store, register_terminal
from server.services.uow import SqlUnitOfWork
from tests.support.databases import (
    PG_ADMIN as PG_ADMIN,
)
from tests.support.databases import (
    create_pg_database as create_pg_database,
)
from tests.support.databases import (
    drop_pg_database as drop_pg_database,
)
from tests.support.databases import migrated_database

load_all()
SECRETS = {
    "SECRET_KEY": base64.b64encode(b"s" * 32).decode(),
    "CPF_KEY": base64.b64encode(b"k" * 32).decode(),
    "CPF_HASH_SECRET": base64.b64encode(b"h" * 32).decode(),
}
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("srv"), "tc_server") as url:
        yield url


def make_config(db_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "DATABASE_URL": db_url,
        "RATELIMIT_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        **SECRETS,
        **overrides,
    }


def _empty(app: Flask) -> None:
    engine = get_engine(app)
    with engine.begin() as conn:
        tables = [t.name for t in Base.metadata.sorted_tables if t.name != "change_counter"]
        if engine.dialect.name == "postgresql":
            # TRUNCATE, not DELETE: fast, and it does not fire append-only row triggers.
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("UPDATE change_counter SET value = 0"))
            return
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "change_counter":
                conn.execute(text("UPDATE change_counter SET value = 0"))
            else:
                conn.execute(table.delete())


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    app = create_app(make_config(db_url))
    _empty(app)
    yield app
    get_engine(app).dispose()


@pytest.fixture
def make_app(db_url: str) -> Iterator[Callable[..., Flask]]:
    """Build apps with extra settings; their engines are disposed after the test."""
    made: list[Flask] = []

    def build(url: str | None = None, **overrides: Any) -> Flask:
        app = create_app(make_config(url or db_url, **overrides))
        made.append(app)
        return app

    yield build
    for app in made:
        get_engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Till:
    """A registered, enrolled terminal that makes events with real ids, for tests."""

    def __init__(
        self, client: FlaskClient, store_id: str, terminal_id: str, credential: str
    ) -> None:
        self.client = client
        self.store_id = store_id
        self.terminal_id = terminal_id
        self.credential = credential
        self.seq = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}

    def next(self) -> int:
        self.seq += 1
        return self.seq

    def refund_id(self) -> str:
        return make_refund_id(self.store_id, self.terminal_id, self.next())

    def member_id(self) -> str:
        return make_member_id(self.store_id, self.terminal_id, self.next())

    def event_id(self) -> str:
        return make_event_id(self.store_id, self.terminal_id, self.next())

    def header(self, type_: str, at: dt.datetime = T0) -> dict[str, Any]:
        return {
            "type": type_,
            "event_id": f"V:{self.store_id}:{self.terminal_id}:{self.next():012d}",
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "occurred_at": at.isoformat(),
        }

    def entry(
        self, member_id: str, amount: str, kind: str = "earn", currency: str = "points", **kw: Any
    ) -> dict[str, Any]:
        return {
            "entry_id": make_entry_id(self.store_id, self.terminal_id, self.next()),
            "member_id": member_id,
            "currency": currency,
            "kind": kind,
            "amount": amount,
            "effective_at": kw.pop("effective_at", T0).isoformat(),
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            **kw,
        }

    def sale(
        self,
        member_id: str | None,
        prices: list[str],
        points: str | None = None,
        at: dt.datetime = T0,
    ) -> dict[str, Any]:
        lines = [
            {
                "line_no": i + 1,
                "sku": f"SKU{i + 1}",
                "quantity": "1",
                "unit_price": p,
                "gross": p,
                "discount": "0.00",
                "net": p,
            }
            for i, p in enumerate(prices)
        ]
        total = f"{sum(Decimal(p) for p in prices):.2f}"
        sale_id = make_sale_id(self.store_id, self.terminal_id, self.next())
        event = self.header("sale", at) | {
            "sale_id": sale_id,
            "member_id": member_id,
            "currency": "BRL",
            "subtotal": total,
            "discount_total": "0.00",
            "total": total,
            "lines": lines,
        }
        if points is not None and member_id is not None:
            event["ledger_entries"] = [self.entry(member_id, points, sale_id=sale_id, rule_id="R1")]
        return event

    def push(self, events: list[Any]) -> Any:
        response = self.client.post("/api/v1/events", json={"events": events}, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def pull_all(self, cursor: int = 0, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
        changes: list[dict[str, Any]] = []
        while True:
            r = self.client.get(
                f"/api/v1/changes?cursor={cursor}&limit={limit}", headers=self.headers
            )
            assert r.status_code == 200, r.get_json()
            body = r.get_json()
            changes.extend(body["changes"])
            cursor = body["next_cursor"]
            if not body["has_more"]:
                return changes, cursor


#: 1 point per R$ 1 under rule ``R1``: the points :meth:`Till.sale` books (``points=``, rule
#: ``R1``) are then what the server's re-pricing derives, so they are credited, not held.
POINTS_PER_REAL = {
    "rules": [
        {
            "id": "R1",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        }
    ]
}


def points_campaign(app: Flask) -> None:
    """Publish :data:`POINTS_PER_REAL`, for tests whose tills earn a point per real."""
    from server.services.campaign_publish import put_campaign

    put_campaign(SqlUnitOfWork.for_app(app), "C-POINTS", "Pontos", POINTS_PER_REAL)


def push_approved(till: Till, events: list[Any]) -> Any:
    """Push ``events``, then approve as head office every entry the push held.

    For tests that seed balances with a till's stand-alone or underived entries (expiry,
    wallet): a till may not grant those alone, so they pass through *Ajustes retidos*.
    """
    from server.services.held_entries import approve

    body = till.push(events)
    for flag in body["flags"]:
        if flag["code"] == "entry_held":
            app = till.client.application
            approve(SqlUnitOfWork.for_app(app), flag["entry_id"], actor="test@hq.example")
    return body


def register_till(
    app: Flask, client: FlaskClient, store_id: str = "LOJA-01", name: str = "PDV 1"
) -> Till:
    uow = SqlUnitOfWork.for_app(app)
    try:
        add_store(uow, store_id, f"Store {store_id}")
    except ValueError:
        pass  # exists already
    reg = register_terminal(SqlUnitOfWork.for_app(app), store_id, name, ttl_hours=1)
    r = client.post("/api/v1/terminals/register", json={"code": reg.registration_code})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    return Till(client, body["store_id"], body["terminal_id"], body["credential"])


@pytest.fixture
def till(app: Flask, client: FlaskClient) -> Till:
    return register_till(app, client)
