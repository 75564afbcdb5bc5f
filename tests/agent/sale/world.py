"""Test helpers: an agent config on real files, a seeded cache, and a real server on loopback."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.cache import apply_changes, connect_cache
from agent.cache.card_hash import CardHasher, from_cpf_secret
from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from tests.support.clock import MovableClock
from tests.support.live import start_serving
from tests.support.waiting import wait_for as wait_for

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 12:00 in São Paulo
CPF_SECRET = b"h" * 32
CAMPAIGN = {
    "timezone": "America/Sao_Paulo",
    "rules": [
        {
            "id": "pontos",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        },
        {
            "id": "club-arroz",
            "kind": "member_price",
            "name": "Preço Clube",
            "sku": "ARROZ",
            "price": "21.90",
            "audience": {"members_only": True},
        },
    ],
}


def write_config(tmp: Path, url: str = "http://127.0.0.1:9", **extra: str) -> Path:
    (tmp / "cpf.secret").write_text(base64.b64encode(CPF_SECRET).decode())
    sections = {
        "server": f'url = "{url}"\ncredential_file = "{tmp / "credential.json"}"\n'
        "timeout_seconds = 2\nsync_interval_seconds = 0.2\nmax_backoff_seconds = 1\n",
        "terminal": 'store = "LOJA-01"\n',
        "storage": f'cache_path = "{tmp / "cache.sqlite3"}"\n'
        f'journal_path = "{tmp / "journal.sqlite3"}"\n',
        "identification": f'cpf_hash_secret_file = "{tmp / "cpf.secret"}"\n',
        "offline": 'max_redeem_per_sale_brl = "50.00"\nmax_redeem_per_member_day_brl = "80.00"\n',
        "points": "expiry_months = 12\n",
    }
    for key, value in extra.items():
        sections[key] = value
    text = "".join(f"[{name}]\n{body}\n" for name, body in sections.items())
    path = tmp / "agent.toml"
    path.write_text(text)
    return path


def fake_credential(tmp: Path, terminal: str = "T0001") -> None:
    write_credential(tmp / "credential.json", Credential(f"tc1.{terminal}.x", terminal, "LOJA-01"))


def member_change(
    seq: int, member_id: str, name: str = "Maria Silva", cpf_hash: str | None = None
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "member",
        "id": member_id,
        "deleted": False,
        "data": {
            "id": member_id,
            "name": name,
            "cpf_hash": cpf_hash,
            "birth_date": None,
            "active": True,
            "consent_marketing": False,
        },
    }


def card_change(seq: int, number: str, member_id: str, status: str = "active") -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "card",
        "id": number,
        "deleted": False,
        "data": {"number": number, "member_id": member_id, "status": status, "replaced_by": None},
    }


def campaign_change(seq: int, document: dict[str, Any] = CAMPAIGN) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "campaign",
        "id": "c1",
        "deleted": False,
        "data": {
            "id": "c1",
            "name": "c1",
            "document": document,
            "active": True,
            "valid_from": None,
            "valid_until": None,
            "version": 1,
        },
    }


def earn_change(
    seq: int, entry_id: str, member_id: str, amount: str, currency: str = "points"
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "ledger_entry",
        "id": entry_id,
        "deleted": False,
        "data": {
            "entry_id": entry_id,
            "member_id": member_id,
            "currency": currency,
            "kind": "earn",
            "amount": amount,
            "effective_at": "2026-01-01T00:00:00+00:00",
            "available_at": None,
            "expires_at": None,
            "sale_id": None,
            "rule_id": None,
            "store_id": None,
            "terminal_id": None,
            "reverses": None,
            "reason": None,
        },
    }


def seed_cache(
    path: Path, changes: list[dict[str, Any]], card_hash: CardHasher | None = None
) -> None:
    """Fill the cache through the pull's writer, cards hashed with the agent's key (the one
    derived from the CPF hash secret ``write_config`` configures)."""
    conn, _ = connect_cache(path, card_hash or from_cpf_secret(CPF_SECRET))
    apply_changes(conn, changes, max(c["seq"] for c in changes))
    conn.close()


def line(sku: str, qty: str = "1", price: str = "10.00", **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "qty": qty, "unit_price": price, **kw}


class Clock(MovableClock):
    def __init__(self, at: datetime = T0) -> None:
        super().__init__(at)


def make_agent(
    tmp: Path, changes: list[dict[str, Any]] | None = None, clock: Clock | None = None
) -> Agent:
    path = write_config(tmp)
    fake_credential(tmp)
    if changes:
        seed_cache(tmp / "cache.sqlite3", changes)
    return Agent(load_config(path), clock or Clock())


# -- a real server on loopback ----------------------------------------------------------------


@dataclass
class LiveServer:
    app: Any
    url: str
    http: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(5)


SERVER_SECRETS = {
    "SECRET_KEY": base64.b64encode(b"s" * 32).decode(),
    "CPF_KEY": base64.b64encode(b"k" * 32).decode(),
    "CPF_HASH_SECRET": base64.b64encode(CPF_SECRET).decode(),
}


def server_config(db_url: str) -> dict[str, Any]:
    return {
        "DATABASE_URL": db_url,
        "RATELIMIT_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        **SERVER_SECRETS,
    }


@contextmanager
def live_server(db_path: Path, port: int = 0) -> Iterator[LiveServer]:

    from server import create_app
    from server.migrate import upgrade

    url = f"sqlite:///{db_path}"
    upgrade(url)
    app = create_app(server_config(url))
    served = start_serving(app, port)
    live = LiveServer(app, served.url, served.http, served.thread)
    try:
        yield live
    finally:
        live.stop()
        from server.db import get_engine

        get_engine(app).dispose()


def registration_code(app: Any, store_id: str = "LOJA-01") -> str:
    from server.services.terminals import add_store, register_terminal
    from server.services.uow import SqlUnitOfWork

    try:
        add_store(SqlUnitOfWork.for_app(app), store_id, store_id)
    except ValueError:
        pass
    return register_terminal(
        SqlUnitOfWork.for_app(app), store_id, "PDV", ttl_hours=1
    ).registration_code


def seed_server(app: Any, members: int = 3) -> None:
    from server.services.campaign_publish import put_campaign
    from server.services.members import add_member
    from server.services.uow import SqlUnitOfWork

    cipher = app.extensions["tillclub.cpf"]
    for i in range(1, members + 1):
        add_member(SqlUnitOfWork.for_app(app), cipher, f"M{i}", f"Member {i}", card_number=card(i))
    put_campaign(SqlUnitOfWork.for_app(app), "c1", "c1", json.loads(json.dumps(CAMPAIGN)))


def card(i: int) -> str:
    from loyalty.identification import card_number

    return card_number(i)
