"""Tier prices at the till: ``audience.tiers`` rules fire for the tier head office's review gave,
and the server re-prices the pushed sale with the same tier (and segments): no false flag.

Campaign: 1 point per R$ 1; a gold-only club price on VINHO (R$ 60,00 → R$ 50,00); 10 % off
QUEIJO for the ``value:most_valuable`` segment. Ladder: classic from R$ 0, gold from R$ 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from agent.config import load_config
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from server.clock import now as utcnow
from server.db import new_session
from server.models import MemberSegment, Sale
from server.models.sales import RepriceStatus
from server.services.campaign_publish import put_campaign
from server.services.members import add_member
from server.services.tiers import review_tiers, set_ladder
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

TIERED: dict[str, Any] = {
    **CAMPAIGN,
    "rules": [
        CAMPAIGN["rules"][0],  # 1 point per real
        {
            "id": "vinho-ouro",
            "kind": "member_price",
            "name": "Preço Ouro",
            "sku": "VINHO",
            "price": "50.00",
            "audience": {"tiers": ["gold"]},
        },
        {
            "id": "queijo-vip",
            "kind": "percent_off",
            "name": "VIP -10%",
            "percent": "10",
            "applies_to": {"skus": ["QUEIJO"]},
            "audience": {"segments": ["value:most_valuable"]},
        },
    ],
}
LADDER = {
    "window_months": 12,
    "tiers": [{"name": "classic", "threshold": "0"}, {"name": "gold", "threshold": "500.00"}],
}


def _member(seq: int, member_id: str, tier: str | None) -> dict[str, Any]:
    change = member_change(seq, member_id)
    change["data"]["tier"] = tier
    return change


@pytest.mark.parametrize(
    ("tier", "total"),
    [("gold", "50.00"), ("classic", "60.00"), (None, "60.00"), ("GOLD", "60.00")],
)
def test_the_tier_price_goes_to_the_tier_named_in_the_rule(
    tmp_path: Path, tier: str | None, total: str
) -> None:
    agent = make_agent(
        tmp_path,
        [campaign_change(1, TIERED), _member(2, "M1", tier), card_change(3, card(1), "M1")],
        Clock(),
    )
    try:
        agent.sales.identify("s1", card(1))
        quote = agent.sales.price("s1", [line("VINHO", price="60.00")])
        anonymous = agent.sales.price("s2", [line("VINHO", price="60.00")])
    finally:
        agent.close()
    assert quote["total"] == total
    assert anonymous["total"] == "60.00"
    if total == "50.00":
        assert quote["lines"][0]["discounts"][0]["name"] == "Preço Ouro"


def _history(app: Flask, member_id: str, total: str, n: int) -> None:
    """A past sale of ``total`` for ``member_id``, as if pushed by another till."""
    now = utcnow()
    with new_session(app) as s, s.begin():
        s.add(
            Sale(
                sale_id=f"S:LOJA-01:HIST:{n:012d}", event_id=f"V:LOJA-01:HIST:{n:012d}",
                store_id="LOJA-01", terminal_id="HIST", member_id=member_id,
                occurred_at=now - dt.timedelta(days=10), currency="BRL",
                subtotal=Decimal(total), discount_total=Decimal(0), total=Decimal(total),
                reprice_status=RepriceStatus.NOT_CHECKED, reprice_detail=None, recorded_at=now,
            )
        )  # fmt: skip


def _segment(app: Flask, member_id: str) -> None:
    with new_session(app) as s, s.begin():
        s.add(
            MemberSegment(
                member_id=member_id, recency_days=3, frequency=12, monetary=Decimal("900.00"),
                contribution=Decimal("200.00"), r_score=5, f_score=5, m_score=5,
                rfm_segment="champions", value_class="most_valuable", computed_at=utcnow(),
            )
        )  # fmt: skip


def _tier(agent: Agent, i: int) -> str | None:
    member = agent.lookups.member_by_card(card(i))
    return None if member is None else member.tier


def _status(app: Flask, sale_id: str) -> tuple[RepriceStatus, Any]:
    with new_session(app) as s:
        row = s.execute(
            select(Sale.reprice_status, Sale.reprice_detail).where(Sale.sale_id == sale_id)
        ).one()
        return row.reprice_status, row.reprice_detail


def test_e2e_a_reviewed_gold_member_gets_the_tier_price_and_the_server_agrees(
    tmp_path: Path,
) -> None:
    """GIVEN a real server with a ladder, M1 with R$ 600 of sales and M2 with R$ 100 in the
    VIP segment, and the tier review run WHEN the agent syncs and both shop
    THEN M1 pays the gold price, M2 pays the shelf price but gets the VIP discount, both sales
    reach the server and re-price equal (no flag); and when M3 is promoted by a later review,
    the till pulls the new tier and M3 pays the gold price from then on."""
    with live_server(tmp_path / "server.db") as srv:
        app = srv.app
        cipher = app.extensions["tillclub.cpf"]
        for i in (1, 2, 3):
            add_member(
                SqlUnitOfWork.for_app(app), cipher, f"M{i}", f"Member {i}", card_number=card(i)
            )
        put_campaign(SqlUnitOfWork.for_app(app), "c1", "c1", TIERED)
        set_ladder(SqlUnitOfWork.for_app(app), LADDER, actor="test", now=utcnow())
        _history(app, "M1", "600.00", 1)
        _history(app, "M2", "100.00", 2)
        _segment(app, "M2")
        run = review_tiers(SqlUnitOfWork.for_app(app), utcnow())
        assert (run.assigned, run.changed) == (3, 3)

        body = agent_register(srv.url, registration_code(app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, srv.url)))
        agent.start()
        try:
            wait_for(lambda: agent.rules.rule_count == 3)
            wait_for(lambda: _tier(agent, 3) == "classic")  # the snapshot is in
            gold, classic = (
                agent.lookups.member_by_card(card(1)),
                agent.lookups.member_by_card(card(2)),
            )
            assert gold is not None
            assert gold.tier == "gold"
            assert classic is not None
            assert classic.tier == "classic"
            assert classic.segments == ("rfm:champions", "value:most_valuable")

            basket = [line("VINHO", price="60.00"), line("QUEIJO", price="20.00")]
            agent.sales.identify("g1", card(1))
            assert agent.sales.price("g1", basket)["total"] == "70.00"  # 50 + 20
            gold_sale = agent.sales.finalise("g1")["sale_id"]
            agent.sales.identify("c1", card(2))
            assert agent.sales.price("c1", basket)["total"] == "78.00"  # 60 + 18
            classic_sale = agent.sales.finalise("c1")["sale_id"]
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            assert _status(app, gold_sale) == (RepriceStatus.MATCH, None)
            assert _status(app, classic_sale) == (RepriceStatus.MATCH, None)

            # M3 crosses gold; the next nightly review promotes it and the till pulls it.
            agent.sales.identify("m3a", card(3))
            assert agent.sales.price("m3a", basket[:1])["total"] == "60.00"
            agent.sales.cancel("m3a")
            _history(app, "M3", "550.00", 3)
            assert review_tiers(SqlUnitOfWork.for_app(app), utcnow()).promoted == 1
            wait_for(lambda: _tier(agent, 3) == "gold")
            agent.sales.identify("m3b", card(3))
            assert agent.sales.price("m3b", basket[:1])["total"] == "50.00"
            promoted_sale = agent.sales.finalise("m3b")["sale_id"]
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            assert _status(app, promoted_sale) == (RepriceStatus.MATCH, None)
        finally:
            agent.close()
