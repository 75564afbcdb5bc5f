"""e2e: a shopper joins at an offline till, and the server learns of it when the link returns.

GIVEN a registered agent with a cache pulled from a real server on loopback
WHEN the server is down, shoppers join at the till and buy (one with a CPF and a card handed
over, one with neither), and the server comes back on the same port
THEN the enrolments reach the server before the sales that name the new members, the members
exist there with the points the till gave, and their records come back to the till's cache.
If head office meanwhile enrolled the same CPF, the till's enrolment is parked as rejected
(listed on the head office's sync issues), its sales are kept under an id no member has, and
the till stops earning for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.journal import Outbox
from agent.sale import MemberNotFound
from agent.service import Agent
from loyalty.identification import card_number
from server.db import new_session
from server.models import Card, Member, RejectedEvent, Sale
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import line, live_server, seed_server
from tests.e2e.test_agent_sync import register, server_points, wait_for

CPF = "39053344705"
CARD = card_number(77)
ANA = {
    "name": "Ana Lima",
    "cpf": "390.533.447-05",
    "consent_terms": True,
    "consent_marketing": True,
    "card_number": CARD,
    "phone": "(11) 91234-5678",
    "email": "ana@example.com",
    "birth_date": "1990-03-04",
}


def _online_agent(tmp: Path, srv: Any) -> Agent:
    seed_server(srv.app)
    agent = register(tmp, srv.url, srv.app)
    agent.start()
    wait_for(lambda: agent.lookups.member_by_card(card_number(1)) is not None)
    wait_for(lambda: agent.rules.rule_count == 2)
    return agent


def test_an_offline_enrolment_and_its_sales_reach_the_server(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    with live_server(db) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        agent = _online_agent(tmp_path, srv)
    try:
        # The server is down: the shopper joins at payment and earns on this very sale.
        agent.sales.price("off-1", [line("ARROZ", price="24.90"), line("X", qty="2")])
        joined = agent.sales.enrol("off-1", ANA)
        assert (joined["member_id"], joined["identified"]) == ("77", True)
        assert agent.sales.finalise("off-1")["points_earned"] == 41
        agent.sales.identify("off-2", "390.533.447-05")  # known here at once, by CPF
        agent.sales.price("off-2", [line("X", qty="3")])
        agent.sales.finalise("off-2")
        agent.sales.price("off-3", [line("X")])
        bia = agent.sales.enrol("off-3", {"name": "Bia Souza", "consent_terms": True})
        agent.sales.finalise("off-3")
        bia_id = bia["member_id"]
        assert bia_id == f"M:LOJA-01:{agent.terminal_id}:000000000001"
        till = {m: agent.sales._balance_view(m)["points"] for m in ("77", bia_id)}
        assert till == {"77": 41 + 30, bia_id: 10}
        assert agent.status()["queue"]["depth"] == 5  # 2 enrolments, 3 sales
        with live_server(db, port=port) as srv:
            wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
            assert Outbox(agent.journal_conn).rejected() == 0
            cipher = srv.app.extensions["tillclub.cpf"]
            with new_session(srv.app) as s:
                ana = s.get(Member, "77")
                assert ana is not None
                assert (ana.name, ana.phone, ana.email) == (
                    "Ana Lima",
                    "(11) 91234-5678",
                    "ana@example.com",
                )
                assert ana.cpf_hash == cipher.lookup_hash(CPF)
                assert (ana.consent_terms, ana.consent_marketing) == (True, True)
                assert ana.enrolled_terminal_id == agent.terminal_id
                card = s.get(Card, CARD)
                assert card is not None
                assert card.member_id == "77"
                assert s.get(Member, bia_id) is not None
                assert set(s.scalars(select(Sale.member_id))) >= {"77", bia_id}
            for member_id, points in till.items():
                assert server_points(srv.app, member_id) == points
            # The server's copy comes back to the cache, with the same balance.
            wait_for(lambda: agent.lookups.member_by_card(CARD) is not None)
            wait_for(lambda: agent.lookups.member_by_id(bia_id) is not None)
            for member_id, points in till.items():
                wait_for(lambda m=member_id, p=points: agent.sales._balance_view(m)["points"] == p)
            assert agent.sales.identify("on-1", CARD)["balance"]["points"] == till["77"]
    finally:
        agent.close()


def test_a_cpf_enrolled_elsewhere_meanwhile_parks_the_till_enrolment(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    with live_server(db) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        agent = _online_agent(tmp_path, srv)
    try:
        agent.sales.price("off-1", [line("X", qty="2")])
        agent.sales.enrol("off-1", ANA)
        agent.sales.finalise("off-1")
        # Meanwhile head office enrols the same CPF (a server on another port, same database).
        with live_server(db) as hq:
            cipher = hq.app.extensions["tillclub.cpf"]
            add_member(SqlUnitOfWork.for_app(hq.app), cipher, "HQ-9", "Ana L.", cpf=CPF)
        with live_server(db, port=port) as srv:
            wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
            assert Outbox(agent.journal_conn).rejected() == 1
            with new_session(srv.app) as s:
                assert s.get(Member, "77") is None
                assert s.get(Card, CARD) is None
                (rejected,) = s.scalars(select(RejectedEvent))
                assert rejected.code == "cpf_already_enrolled"
                assert "member id '77'" in rejected.message  # shown on Sync issues
                # the sale is applied, under an id no member has: its points reach nobody
                assert s.scalar(select(Sale.member_id)) == "77"
            assert server_points(srv.app, "77") == 20
            # The till stops earning for the refused record and says why; the CPF now finds
            # head office's member once the cache has it.
            with pytest.raises(MemberNotFound, match="cpf_already_enrolled"):
                agent.sales.identify("on-1", CARD)
            wait_for(lambda: agent.lookups.member_by_id("HQ-9") is not None)
            assert agent.sales.identify("on-2", CPF)["member"]["id"] == "HQ-9"
    finally:
        agent.close()
