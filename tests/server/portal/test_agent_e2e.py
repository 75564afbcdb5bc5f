"""e2e with the real agent: a shopper joins in the portal, shows the phone QR at a till,
activates an offer in the portal, and the next sale at that till gets the offer price.

GIVEN the server (portal mounted) on loopback and an enrolled, running tillclub agent that
      holds only the QR public key
WHEN  the till scans the portal's QR token and prices a coffee, before and after the shopper
      taps "Ativar oferta"
THEN  the first sale pays the regular R$ 17,49; after the agent's next sync the second pays
      R$ 14,99; both sales reach the server, and the portal's statement shows their points.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import select

from server.db import get_engine, new_session
from server.models import Sale
from server.services.campaign_publish import put_campaign
from server.services.offers import add_offer
from server.services.uow import SqlUnitOfWork

from .conftest import (
    COFFEE,
    LiveServer,
    agent_for,
    build_app,
    empty,
    form_post,
    join_online,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def server(
    sqlite_db: str, qr_key: tuple[Path, Ed25519PrivateKey]
) -> Iterator[tuple[Flask, LiveServer]]:
    app = build_app(sqlite_db, qr_key[0])
    empty(app)
    live = LiveServer(app)
    try:
        yield app, live
    finally:
        live.stop()
        get_engine(app).dispose()


def test_portal_qr_and_activated_offer_at_a_running_agent(
    tmp_path: Path, server: tuple[Flask, LiveServer], qr_key: tuple[Path, Ed25519PrivateKey]
) -> None:
    app, live = server
    http = requests.Session()
    join_online(http, live.url)
    member_id = "9000000001"
    # Head office: the base campaign plus Ana's personal rule (it needs her activation), and
    # the offer that lets her switch it on.
    put_campaign(
        SqlUnitOfWork.for_app(app),
        "base",
        "Base",
        {
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
                    "id": "perso-cafe-1",
                    "kind": "member_price",
                    "name": "Seu preço",
                    "sku": COFFEE,
                    "price": "14.99",
                    "audience": {"member_ids": [member_id]},
                    "requires_activation": True,
                },
            ],
        },
    )
    add_offer(
        SqlUnitOfWork.for_app(app),
        "perso-cafe-1",
        member_id,
        "Café Pilão 500 g por R$ 14,99",
        {
            "id": "perso-cafe-1",
            "kind": "member_price",
            "name": "Seu preço",
            "sku": COFFEE,
            "price": "14.99",
            "audience": {"member_ids": [member_id]},
            "requires_activation": True,
        },
        requires_activation=True,
    )

    public_pem = (
        qr_key[1]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    agent = agent_for(tmp_path, app, live.url, public_pem)
    agent.start()  # type: ignore[attr-defined]
    try:
        wait_for(lambda: agent.lookups.member_by_id(member_id) is not None)  # type: ignore[attr-defined]
        wait_for(lambda: agent.rules.rule_count == 2)  # type: ignore[attr-defined]
        sales = agent.sales  # type: ignore[attr-defined]
        coffee = [{"sku": COFFEE, "qty": "1", "unit_price": "17.49", "category": "mercearia"}]

        token = http.get(f"{live.url}/portal/card/tokens", timeout=10).json()["tokens"][0]["token"]
        assert sales.identify("s1", token)["member"]["id"] == member_id
        assert sales.price("s1", coffee)["total"] in ("17.49", "R$ 17,49", 1749)
        first = sales.finalise("s1")

        r = form_post(
            http, f"{live.url}/portal/offers", f"{live.url}/portal/offers/perso-cafe-1/activate", {}
        )
        assert r.status_code == 302
        wait_for(lambda: any(o.activated for o in agent.lookups.offers_for_member(member_id)))  # type: ignore[attr-defined]

        token = http.get(f"{live.url}/portal/card/tokens", timeout=10).json()["tokens"][0]["token"]
        sales.identify("s2", token)
        quote = sales.price("s2", coffee)
        assert quote["total"] in ("14.99", "R$ 14,99", 1499), quote
        second = sales.finalise("s2")
        wait_for(lambda: agent.status()["queue"]["depth"] == 0)  # type: ignore[attr-defined]
    finally:
        agent.stop()  # type: ignore[attr-defined]
        agent.close()  # type: ignore[attr-defined]

    with new_session(app) as s:
        totals = {x.sale_id: (x.total, x.member_id) for x in s.scalars(select(Sale))}
    assert {str(v[0]) for v in totals.values()} == {"17.49", "14.99"}
    assert {first["sale_id"], second["sale_id"]} == set(totals)
    statement = http.get(f"{live.url}/portal/statement", timeout=10).text
    assert re.search(r'id="points-available">31<', statement), "17 + 14 points from the two sales"
    assert "Loja Centro" in statement
