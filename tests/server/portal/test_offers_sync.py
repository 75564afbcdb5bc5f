"""Offers: the shopper activates one in the portal; a till pulls the activation over the real
sync API, identifies the shopper by the portal's QR, and the offer price applies.

GIVEN a member who joined in the portal, a personalised offer that needs activation, and an
      enrolled terminal that has pulled everything (before the activation)
WHEN  the till prices a basket with the member found from the phone QR
THEN  the regular price applies; after the shopper taps "Ativar oferta" and the till syncs
      again, the same basket gets the offer price.
"""

from __future__ import annotations

from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from loyalty.money import Money
from server.services.campaign_publish import put_campaign
from server.services.offers import add_offer
from server.services.uow import SqlUnitOfWork

from .conftest import (
    CAMPAIGN,
    COFFEE,
    T0,
    LiveServer,
    Shopper,
    TillCache,
    csrf_of,
    enrol_terminal_http,
    form_post,
    join_online,
)


def test_an_activation_reaches_the_till_and_the_offer_price_applies(
    app: Flask, live: LiveServer, qr_key: tuple[Path, Ed25519PrivateKey]
) -> None:
    http = requests.Session()
    join_online(http, live.url)
    credential = enrol_terminal_http(app, live)
    put_campaign(SqlUnitOfWork.for_app(app), "base", "Base", CAMPAIGN)
    token = http.get(f"{live.url}/portal/card/tokens", timeout=10).json()["tokens"][0]["token"]
    till = TillCache(live.url, credential)
    till.sync()
    member_id = till.member_for_qr(token, qr_key[1].public_key(), T0)
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
    till.sync()

    before = till.price(member_id, T0)
    assert (before.total, before.applied) == (Money("17.49"), ())

    offers_page = http.get(f"{live.url}/portal/offers", timeout=10).text
    assert "Ativar oferta" in offers_page
    assert "R$ 14,99" in offers_page
    r = form_post(
        http, f"{live.url}/portal/offers", f"{live.url}/portal/offers/perso-cafe-1/activate", {}
    )
    assert r.status_code == 302
    assert "Ativada em" in http.get(f"{live.url}/portal/offers", timeout=10).text

    changes = till.sync()
    assert [(c["type"], c["id"]) for c in changes] == [("offer", "perso-cafe-1")]
    assert changes[0]["data"]["activated_at"] is not None
    after = till.price(member_id, T0)
    assert after.total == Money("14.99")
    assert [(a.id, a.amount) for a in after.applied] == [("perso-cafe-1", Money("2.50"))]
    assert after.discount == Money("2.50")


def test_activating_twice_or_someone_elses_offer(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    other = Shopper(app.test_client())
    other.join(cpf="111.444.777-35", email="bia@example.com")
    from sqlalchemy import select

    from server.db import new_session
    from server.models import Member, OfferActivation

    with app.app_context(), new_session() as s:
        ids = {m.email: m.id for m in s.scalars(select(Member))}
    rule = {
        "id": "o1",
        "kind": "member_price",
        "name": "x",
        "sku": COFFEE,
        "price": "9.99",
        "requires_activation": True,
    }
    add_offer(
        SqlUnitOfWork.for_app(app),
        "o1",
        ids["bia@example.com"],
        "Oferta da Bia",
        rule,
        requires_activation=True,
    )
    token = csrf_of(shopper.client.get("/portal/offers"))
    assert (
        shopper.client.post("/portal/offers/o1/activate", data={"csrf_token": token}).status_code
        == 404
    )
    assert "Oferta da Bia" not in shopper.client.get("/portal/offers").get_data(as_text=True)
    for _ in range(2):
        token = csrf_of(other.client.get("/portal/offers"))
        assert (
            other.client.post("/portal/offers/o1/activate", data={"csrf_token": token}).status_code
            == 302
        )
    with app.app_context(), new_session() as s:
        acts = list(s.scalars(select(OfferActivation)))
    assert [(a.offer_id, a.member_id, a.channel) for a in acts] == [
        ("o1", ids["bia@example.com"], "portal")
    ]
