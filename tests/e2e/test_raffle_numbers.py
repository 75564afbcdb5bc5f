"""e2e: two agents and a real server on loopback; each till numbers from its own block.

GIVEN two registered agents, each with a block of 20 positions of the raffle ``natal``
WHEN both sell to members (3 tickets a sale) past their blocks, then sync over real HTTP
THEN the server holds every ticket once, each till's numbers come from its own block, the
tickets past the blocks are numbered from the server's reserve, and no number repeats.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from loyalty.identification import card_number
from server.db import new_session
from server.models import RaffleCampaign as RaffleRow
from server.models import RaffleTicketRow
from server.services.campaign_publish import put_campaign
from server.services.raffle import assign_terminal_block, to_campaign
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import CAMPAIGN, line, live_server, seed_server
from tests.e2e.test_agent_sync import register, wait_for

RAFFLE_RULE = {
    "id": "sorteio",
    "kind": "raffle",
    "name": "Números da sorte",
    "per_amount": "10.00",
    "campaign": "natal",
    "audience": {"members_only": True},
}


def test_two_tills_draw_from_their_own_blocks(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        doc = json.loads(json.dumps(CAMPAIGN))
        doc["rules"].append(RAFFLE_RULE)
        put_campaign(SqlUnitOfWork.for_app(srv.app), "c1", "c1", doc)
        now = dt.datetime.now(dt.UTC)
        add_raffle(
            SqlUnitOfWork.for_app(srv.app),
            "natal",
            "Natal",
            "SPA/MF 1",
            Decimal("10.00"),
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=30),
            {"series_count": 3},
        )
        agents = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            agent = register(tmp_path / name, srv.url, srv.app)
            assign_terminal_block(SqlUnitOfWork.for_app(srv.app), "natal", agent.terminal_id, 20)
            agent.start()
            agents.append(agent)
        with new_session(srv.app) as s:
            c = to_campaign(s.get_one(RaffleRow, "natal"))
        try:
            for agent in agents:
                wait_for(
                    lambda a=agent: (
                        a.cache_conn.execute("SELECT count(*) FROM raffle_blocks").fetchone()[0]
                        == 1
                    )
                )
                wait_for(lambda a=agent: a.lookups.member_by_card(card_number(1)) is not None)
            printed: dict[str, list[str | None]] = {}
            for i in range(10):  # 30 tickets per till, 20 positions each: 10 owed per till
                for agent in agents:
                    pos = f"{agent.terminal_id}-{i}"
                    agent.sales.identify(pos, card_number(1 + i % 3))
                    agent.sales.price(pos, [line("X", price="30.00")])
                    answer = agent.sales.finalise(pos)
                    printed.setdefault(agent.terminal_id, []).extend(
                        answer["raffle_numbers"]["natal"]
                    )
            for agent in agents:
                wait_for(lambda a=agent: a.status()["queue"]["depth"] == 0, timeout=30)
            with new_session(srv.app) as s:
                rows = s.scalars(select(RaffleTicketRow)).all()
                tickets = [(r.terminal_id, r.number, r.by_server, r.status) for r in rows]
        finally:
            for agent in agents:
                agent.close()
    assert len(tickets) == 60
    numbers = [n for _, n, _, _ in tickets]
    assert None not in numbers
    assert len(set(numbers)) == 60
    starts = {}
    for agent in agents:
        tid = agent.terminal_id
        own = [n for t, n, by_server, _ in tickets if t == tid and not by_server]
        assert len(own) == 20
        block = {c.number_at(p) for p in range(0, 40)}  # both blocks: positions 0-39
        assert set(own) <= block
        starts[tid] = own
        assert [c.format_number(n) for n in sorted(own)] == sorted(
            x for x in printed[tid] if x is not None
        )
        assert printed[tid].count(None) == 10
    a, b = (set(v) for v in starts.values())
    assert not a & b
    assert sum(1 for _, _, by_server, _ in tickets if by_server) == 20
