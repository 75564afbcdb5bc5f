"""Raffle tickets on the server: stored once, owed ones numbered once, voided on refund.

GIVEN a raffle with a block of positions for each of two terminals
WHEN sales carrying tickets (numbered and owed) and refunds are pushed, repeated, reordered
THEN each ticket is stored once, owed tickets get numbers from the server's reserve exactly
once (in sale-time order), no number is ever issued twice in the campaign, refunds void the
tickets they name even when they arrive first, and each terminal sees only its own blocks.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyalty.rewards import RaffleCampaign
from server.db import new_session
from server.models import RaffleCampaign as RaffleRow
from server.models import RaffleNumberBlock, RaffleTicketRow
from server.services.raffle import (
    RaffleServiceError,
    assign_terminal_block,
    numbers_for_member,
    to_campaign,
)
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork

from .conftest import T0, Till, register_till


def setup_raffle(app: Flask, client: FlaskClient) -> tuple[Till, Till, RaffleCampaign]:
    add_raffle(
        SqlUnitOfWork.for_app(app),
        "natal",
        "Natal",
        "SPA/MF 1",
        Decimal("10.00"),
        T0 - dt.timedelta(days=30),
        T0 + dt.timedelta(days=30),
        {"series_count": 2},
    )
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-02", "PDV 2")
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", a.terminal_id, 5)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", b.terminal_id, 5)
    with new_session(app) as s:
        campaign = to_campaign(s.get_one(RaffleRow, "natal"))
    return a, b, campaign


def block_numbers(app: Flask, c: RaffleCampaign, terminal_id: str | None) -> list[int]:
    with new_session(app) as s:
        blocks = s.scalars(
            select(RaffleNumberBlock).where(RaffleNumberBlock.terminal_id == terminal_id)
        ).all()
        return [
            c.number_at(p)
            for b in sorted(blocks, key=lambda b: b.first_position or 0)
            for p in range(b.first_position or 0, (b.first_position or 0) + (b.size or 0))
        ]


def sale_with(till: Till, member: str, numbers: list[int | None], at: dt.datetime = T0) -> Any:
    sale = till.sale(member, ["10.00"], at=at)
    sale["raffle_tickets"] = [
        {"ticket_id": f"{sale['sale_id']}/natal/{i}", "campaign_id": "natal", "number": n}
        for i, n in enumerate(numbers)
    ]
    return sale


def tickets(app: Flask) -> dict[str, tuple[int | None, str, bool]]:
    with new_session(app) as s:
        rows = s.scalars(select(RaffleTicketRow)).all()
        return {r.id: (r.number, r.status, r.by_server) for r in rows}


def test_tickets_are_stored_once_and_owed_ones_numbered_once(
    app: Flask, client: FlaskClient
) -> None:
    a, b, c = setup_raffle(app, client)
    mine = block_numbers(app, c, a.terminal_id)
    theirs = block_numbers(app, c, b.terminal_id)
    assert not set(mine) & set(theirs)
    s1 = sale_with(a, "M1", mine[:3])
    s2 = sale_with(a, "M1", [*mine[3:5], None, None], at=T0 + dt.timedelta(minutes=5))
    s3 = sale_with(b, "M2", [None], at=T0 + dt.timedelta(minutes=1))
    s4 = sale_with(b, "M2", theirs[:2])
    assert a.push([s1, s2])["rejected"] == []
    assert b.push([s3, s4])["rejected"] == []
    first = tickets(app)
    assert len(first) == 10
    numbers = [n for n, _, _ in first.values()]
    assert None not in numbers
    assert len(set(numbers)) == 10
    server_numbered = sorted((k for k, v in first.items() if v[2]), key=str)
    assert len(server_numbered) == 3
    reserve = block_numbers(app, c, None)
    # Numbered in push order, each push's owed in sale-time order: s2's two, then s3's one.
    assert [first[f"{s2['sale_id']}/natal/{i}"][0] for i in (2, 3)] == reserve[:2]
    assert first[f"{s3['sale_id']}/natal/0"][0] == reserve[2]
    # Duplicates and reordering: nothing changes, no number moves.
    for _ in range(3):
        batch = [s2, s1, s2]
        random.shuffle(batch)
        a.push(batch)
        b.push([s4, s3])
    assert tickets(app) == first
    with new_session(app) as s:
        listed = {m.raffle_id: m for m in numbers_for_member(s, "M1")}
    assert listed["natal"].numbers == tuple(
        c.format_number(first[f"{sale['sale_id']}/natal/{i}"][0])  # type: ignore[arg-type]
        for sale, n in ((s1, 3), (s2, 4))
        for i in range(n)
    )


def test_a_number_is_never_issued_twice_in_a_campaign(app: Flask, client: FlaskClient) -> None:
    a, b, c = setup_raffle(app, client)
    mine = block_numbers(app, c, a.terminal_id)
    ok = sale_with(a, "M1", [mine[0]])
    assert a.push([ok])["rejected"] == []
    clash = sale_with(b, "M2", [mine[0]])  # a faulty till printing another's number
    early = sale_with(b, "M2", [mine[1]])  # ... or one the other till has not used yet
    unknown = sale_with(b, "M2", [None])
    unknown["raffle_tickets"][0]["campaign_id"] = "pascoa"
    fine = sale_with(b, "M2", [None])
    result = b.push([clash, early, unknown, fine])
    assert [(r["event_id"], r["code"]) for r in result["rejected"]] == [
        (clash["event_id"], "raffle_number"),
        (early["event_id"], "raffle_number"),
        (unknown["event_id"], "unknown_raffle"),
    ]
    assert result["applied"] == [fine["event_id"]]
    later = sale_with(a, "M1", [mine[1]])  # the rightful till's sale still goes through
    assert a.push([later])["rejected"] == []
    numbers = [n for n, _, _ in tickets(app).values()]
    assert len(numbers) == len(set(numbers)) == 3
    with new_session(app) as s:  # and the database refuses a twice-issued number
        s.add(
            RaffleTicketRow(
                id="x/natal/0",
                raffle_id="natal",
                number=mine[0],
                member_id="M9",
                sale_id=ok["sale_id"],
                terminal_id=b.terminal_id,
                status="issued",
                by_server=False,
                issued_at=T0,
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_owed_tickets_keep_taking_fresh_reserve_numbers(app: Flask, client: FlaskClient) -> None:
    a, _, c = setup_raffle(app, client)
    for i in range(4):  # 4 pushes of 400 owed: the 1000-position reserve grows once
        sale = sale_with(a, "M1", [None] * 400, at=T0 + dt.timedelta(minutes=i))
        assert a.push([sale])["rejected"] == []
    got = [n for n, status, _ in tickets(app).values()]
    assert len(got) == 1600
    assert None not in got
    assert len(set(got)) == 1600
    assert set(got) <= set(block_numbers(app, c, None))
    assert not set(got) & set(block_numbers(app, c, a.terminal_id))


def test_refunds_void_tickets_even_when_they_arrive_first(app: Flask, client: FlaskClient) -> None:
    a, _, c = setup_raffle(app, client)
    mine = block_numbers(app, c, a.terminal_id)
    sale = sale_with(a, "M1", [mine[0], mine[1], None])
    refund = a.header("refund") | {
        "refund_id": a.refund_id(),
        "sale_id": sale["sale_id"],
        "amount": "10.00",
        "voided_tickets": [
            {"ticket_id": f"{sale['sale_id']}/natal/{i}", "campaign_id": "natal", "number": n}
            for i, n in ((2, None), (1, mine[1]))
        ],
    }
    assert a.push([refund])["rejected"] == []
    assert a.push([sale, refund])["rejected"] == []
    state = tickets(app)
    assert state[f"{sale['sale_id']}/natal/0"] == (mine[0], "issued", False)
    assert state[f"{sale['sale_id']}/natal/1"] == (mine[1], "void", False)
    assert state[f"{sale['sale_id']}/natal/2"] == (None, "void", False)  # never numbered
    with new_session(app) as s:
        (listed,) = numbers_for_member(s, "M1")
    assert listed.numbers == (c.format_number(mine[0]),)
    assert listed.void == (c.format_number(mine[1]),)


def test_each_terminal_pulls_only_its_own_blocks(app: Flask, client: FlaskClient) -> None:
    a, b, _ = setup_raffle(app, client)
    changes, _ = a.pull_all()
    blocks = [ch["data"] for ch in changes if ch["type"] == "raffle_block" and ch["data"]]
    assert [(x["terminal_id"], x["first_position"], x["size"]) for x in blocks] == [
        (a.terminal_id, 0, 5)
    ]
    raffles = [ch["data"] for ch in changes if ch["type"] == "raffle"]
    assert len(raffles[0]["rules"]["permutation_key"]) == 32


def test_block_errors_are_clear(app: Flask, client: FlaskClient) -> None:
    a, _, _ = setup_raffle(app, client)
    with pytest.raises(RaffleServiceError, match="no raffle 'x'"):
        assign_terminal_block(SqlUnitOfWork.for_app(app), "x", a.terminal_id, 5)
    with pytest.raises(RaffleServiceError, match="no terminal 'nope'"):
        assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", "nope", 5)
    with pytest.raises(RaffleServiceError, match="must be positive"):
        assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", a.terminal_id, 0)
