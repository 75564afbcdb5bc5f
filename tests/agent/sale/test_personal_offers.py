"""Personal offers priced at the till and at the server without a copy in any campaign.

GIVEN a real server where M1 has a personal offer (coffee at R$ 9,90, to be activated), no
campaign names it, and M2 has none WHEN the till syncs and both buy coffee THEN M1 pays the
shelf price until the offer is activated and R$ 9,90 after, M2 always the shelf price, and the
server re-prices every sale equal (no flag). A broken offer never stops a sale.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from server.db import new_session
from server.models import Sale
from server.models.sales import RepriceStatus
from server.services.campaign_publish import put_campaign
from server.services.members import add_member
from server.services.offers import activate_offer, add_offer
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import (
    CAMPAIGN,
    Clock,
    campaign_change,
    card,
    card_change,
    line,
    live_server,
    make_agent,
    member_change,
    registration_code,
    wait_for,
    write_config,
)

COFFEE_RULE = {
    "id": "ignored",
    "kind": "member_price",
    "name": "Sua oferta: café",
    "sku": "CAFE",
    "price": "9.90",
}


def _activated(agent: Agent) -> bool:
    return any(o.activated for o in agent.lookups.offers_for_member("M1"))


def test_e2e_an_offer_needs_no_campaign_and_the_server_agrees(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        app = srv.app
        uow = lambda: SqlUnitOfWork.for_app(app)  # noqa: E731
        cipher = app.extensions["tillclub.cpf"]
        for i in (1, 2):
            add_member(uow(), cipher, f"M{i}", f"Member {i}", card_number=card(i))
        put_campaign(uow(), "c1", "c1", CAMPAIGN)  # points and a rice price; no coffee rule
        add_offer(uow(), "cafe-m1", "M1", "Café por R$ 9,90", COFFEE_RULE, requires_activation=True)
        body = agent_register(srv.url, registration_code(app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, srv.url)))
        agent.start()
        try:
            wait_for(lambda: len(agent.lookups.offers_for_member("M1")) == 1)
            coffee = [line("CAFE", qty="2", price="15.00")]
            agent.sales.identify("a", card(1))
            assert agent.sales.price("a", coffee)["total"] == "30.00"  # not activated yet
            before = agent.sales.finalise("a")["sale_id"]

            activate_offer(uow(), "cafe-m1", "portal")
            wait_for(lambda: _activated(agent))
            agent.sales.identify("b", card(1))
            quote = agent.sales.price("b", coffee)
            assert quote["total"] == "19.80"
            assert quote["applied"][0]["id"] == "cafe-m1"
            assert quote["applied"][0]["name"] == "Sua oferta: café"
            after = agent.sales.finalise("b")["sale_id"]
            agent.sales.identify("c", card(2))
            assert agent.sales.price("c", coffee)["total"] == "30.00"  # not M2's offer
            other = agent.sales.finalise("c")["sale_id"]
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
        finally:
            agent.close()
        with new_session(app) as s:
            statuses = dict(
                s.execute(
                    select(Sale.sale_id, Sale.reprice_status).where(
                        Sale.sale_id.in_([before, after, other])
                    )
                ).all()
            )
            totals = dict(s.execute(select(Sale.sale_id, Sale.total)).all())
    assert statuses == {sid: RepriceStatus.MATCH for sid in (before, after, other)}
    assert f"{totals[after]:f}" == "19.80"


def test_a_broken_offer_leaves_the_sale_at_shelf_price(tmp_path: Path) -> None:
    broken = {
        "seq": 4,
        "type": "offer",
        "id": "bad",
        "deleted": False,
        "data": {
            "id": "bad",
            "member_id": "M1",
            "title": "?",
            "rule": {"kind": "member_price", "name": "no sku, no price"},
            "requires_activation": False,
            "activated_at": None,
            "starts_at": None,
            "ends_at": None,
            "active": True,
        },
    }
    agent = make_agent(
        tmp_path,
        [campaign_change(1), member_change(2, "M1"), card_change(3, card(1), "M1"), broken],
        Clock(),
    )
    try:
        agent.sales.identify("s1", card(1))
        assert agent.sales.price("s1", [line("CAFE", price="15.00")])["total"] == "15.00"
        assert agent.sales.finalise("s1")["status"] == "recorded"
    finally:
        agent.close()
