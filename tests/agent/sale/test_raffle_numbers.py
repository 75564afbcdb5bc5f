"""Raffle numbers at the till: numbered from this terminal's blocks, never twice, owed after.

GIVEN an agent whose cache holds a raffle campaign and two blocks of positions for this
terminal (plus one for another terminal)
WHEN members buy enough to earn tickets
THEN every ticket gets a distinct number from this terminal's blocks (in position order), the
sale event carries them, tickets past the blocks are owed, the counters survive a restart,
a failed write takes neither the sale nor its numbers, and a refund voids the last numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.journal.store import unpack
from agent.service import Agent
from loyalty.identification import card_number
from loyalty.money import Money
from loyalty.rewards import RaffleCampaign
from tests.agent.sale.world import (
    CAMPAIGN,
    Clock,
    campaign_change,
    card_change,
    line,
    make_agent,
    member_change,
)

KEY = "00112233445566778899aabbccddeeff"
RAFFLE_RULE = {
    "id": "sorteio",
    "kind": "raffle",
    "name": "Números da sorte",
    "per_amount": "10.00",
    "campaign": "natal",
    "audience": {"members_only": True},
}
DOCUMENT = {**CAMPAIGN, "rules": [*CAMPAIGN["rules"], RAFFLE_RULE]}  # type: ignore[list-item]


def raffle_change(seq: int) -> dict[str, Any]:
    data = {
        "id": "natal",
        "name": "Natal",
        "authorisation_number": "SPA/MF 1",
        "spend_per_number": "10.00",
        "starts_at": "2026-01-01T00:00:00+00:00",
        "ends_at": "2026-12-31T00:00:00+00:00",
        "rules": {"permutation_key": KEY, "series_count": 2},
        "active": True,
    }
    return {"seq": seq, "type": "raffle", "id": "natal", "deleted": False, "data": data}


def block_change(seq: int, block_id: str, start: int, size: int, terminal: str) -> dict[str, Any]:
    data = {
        "id": block_id,
        "raffle_id": "natal",
        "terminal_id": terminal,
        "series": None,
        "first_element": None,
        "last_element": None,
        "first_position": start,
        "size": size,
    }
    return {"seq": seq, "type": "raffle_block", "id": block_id, "deleted": False, "data": data}


def pure_campaign() -> RaffleCampaign:
    from datetime import UTC, date, datetime

    return RaffleCampaign(
        "natal",
        "Natal",
        "SPA/MF 1",
        2,
        Money("10.00"),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 31, tzinfo=UTC),
        date(2026, 12, 31),
        bytes.fromhex(KEY),
    )


CHANGES = [
    member_change(1, "M1"),
    card_change(2, card_number(1), "M1"),
    campaign_change(3, DOCUMENT),
    raffle_change(4),
    block_change(5, "B-late", 500, 20, "T0001"),  # listed first: positions order, not seq
    block_change(6, "B-other", 100, 50, "T0002"),  # another till's: never used here
    block_change(7, "B-first", 0, 40, "T0001"),
]


@pytest.fixture
def agent(tmp_path: Path) -> Any:
    a = make_agent(tmp_path, CHANGES, Clock())
    yield a
    a.close()


def sell(agent: Agent, pos: str, price: str = "30.00") -> dict[str, Any]:
    agent.sales.identify(pos, card_number(1))
    agent.sales.price(pos, [line("X", price=price)])
    return agent.sales.finalise(pos)


def events(agent: Agent, kind: str) -> list[dict[str, Any]]:
    rows = agent.journal.conn.execute("SELECT type, payload FROM outbox ORDER BY seq")
    return [json.loads(unpack(p)) for t, p in rows if t == kind]


def test_tickets_take_distinct_numbers_from_own_blocks_then_are_owed(agent: Agent) -> None:
    answers = [sell(agent, f"p{i}") for i in range(25)]  # 3 tickets each: 75 for 60 numbers
    campaign = pure_campaign()
    expected = [campaign.number_at(p) for p in [*range(0, 40), *range(500, 520)]]
    sent = [t for e in events(agent, "sale") for t in e["raffle_tickets"]]
    assert len(sent) == 75
    numbers = [t["number"] for t in sent]
    assert numbers[:60] == expected  # block order, every position once
    assert len(set(numbers[:60])) == 60
    assert numbers[60:] == [None] * 15  # the blocks ran out: owed
    assert all(t["campaign_id"] == "natal" for t in sent)
    assert answers[0]["raffle_tickets"] == {"natal": 3}
    assert answers[0]["raffle_numbers"]["natal"] == [campaign.format_number(n) for n in numbers[:3]]
    assert answers[-1]["raffle_numbers"]["natal"] == [None, None, None]
    stored = agent.journal.conn.execute("SELECT count(*), count(number) FROM raffle_tickets")
    assert stored.fetchone() == (75, 60)


def test_counters_survive_a_restart_and_a_new_block(tmp_path: Path) -> None:
    a = make_agent(tmp_path, CHANGES, Clock())
    first = sell(a, "p1", "150.00")["raffle_numbers"]["natal"]
    a.close()
    b = make_agent(tmp_path, [block_change(8, "B-new", 900, 5, "T0001")], Clock())
    try:
        for i in range(12):
            sell(b, f"q{i}", "50.00")  # 5 tickets each
        got = [t["number"] for e in events(b, "sale") for t in e["raffle_tickets"]]
    finally:
        b.close()
    assert len(first) == 15
    numbered = [n for n in got if n is not None]
    assert len(numbered) == 65  # 40 + 20 + 5 positions
    assert len(set(numbered)) == 65
    c = pure_campaign()
    assert set(numbered) == {
        c.number_at(p) for p in [*range(40), *range(500, 520), *range(900, 905)]
    }
    assert got.count(None) == 75 - 65


def test_a_failed_write_takes_neither_the_sale_nor_its_numbers(agent: Agent) -> None:
    conn = agent.journal.conn
    conn.execute(
        "CREATE TEMP TRIGGER fail BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("X", price="30.00")])
    with pytest.raises(Exception, match="disk"):
        agent.sales.finalise("p1")
    assert conn.execute("SELECT count(*) FROM raffle_tickets").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sales").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM counters WHERE name LIKE 'raffle%'").fetchone() == (
        0,
    )
    conn.execute("DROP TRIGGER fail")
    answer = agent.sales.finalise("p1")
    c = pure_campaign()
    assert answer["raffle_numbers"]["natal"] == [c.format_number(c.number_at(p)) for p in range(3)]
    assert conn.execute(
        "SELECT value FROM counters WHERE name = 'raffle_block:B-first'"
    ).fetchone() == (3,)


def test_a_refund_voids_the_last_numbers(agent: Agent) -> None:
    sale = sell(agent, "p1", "40.00")  # 4 tickets
    answer = agent.sales.refund("r1", "p1", "20.00")  # half: keeps 2
    c = pure_campaign()
    issued = [c.number_at(p) for p in range(4)]
    assert sale["raffle_numbers"]["natal"] == [c.format_number(n) for n in issued]
    (refund,) = events(agent, "refund")
    assert [t["number"] for t in refund["voided_tickets"]] == [issued[3], issued[2]]
    assert [t["number"] for t in answer["raffle_tickets_voided"]] == [issued[3], issued[2]]
    agent.sales.refund("r2", "p1", "20.00")
    second = events(agent, "refund")[1]
    assert sorted(t["number"] for t in second["voided_tickets"]) == sorted(issued[:2])


def test_no_member_no_tickets_and_unknown_raffle_does_not_block_the_sale(tmp_path: Path) -> None:
    rule = {**RAFFLE_RULE, "campaign": "unknown"}
    doc = {**CAMPAIGN, "rules": [*CAMPAIGN["rules"], rule]}  # type: ignore[list-item]
    a = make_agent(tmp_path, [*CHANGES[:2], campaign_change(3, doc), raffle_change(4)], Clock())
    try:
        answer = sell(a, "p1")
        assert answer["status"] == "recorded"
        assert "raffle_numbers" not in answer
        a.sales.price("anon", [line("X", price="30.00")])
        assert "raffle_numbers" not in a.sales.finalise("anon")
        assert all("raffle_tickets" not in e for e in events(a, "sale"))
    finally:
        a.close()


@pytest.mark.parametrize("price", ["9.99", "10.00", "39.99", "149.90"])
def test_the_till_counts_what_the_raffle_promises(agent: Agent, price: str) -> None:
    """GIVEN the raffle the portal shows ("one number for each R$ 10,00") and the campaign's
    raffle rule, which publishing keeps at the same ratio (docs/raffle.md)
    WHEN a member buys for ``price``
    THEN the till gives exactly the numbers the raffle's own rule promises for that spend."""
    answer = sell(agent, f"promise-{price}", price)
    promised = pure_campaign().tickets_for_spend(Money(price))
    assert answer.get("raffle_tickets", {}).get("natal", 0) == promised
    assert len(answer.get("raffle_numbers", {}).get("natal", [])) == promised
