"""Raffle numbers: the campaign, server-reserved blocks, offline terminals, owed tickets."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import RaffleCampaign, RaffleError
from loyalty.rewards.raffle import (
    BlockState,
    NumberBlock,
    RaffleTicket,
    assign_owed,
    check_unique,
    issue_tickets,
    reserve_block,
)

from .conftest import day


def campaign(series: int = 1, **kw: object) -> RaffleCampaign:
    fields: dict[str, object] = {
        "campaign_id": "verao",
        "name": "Verão Premiado",
        "authorisation": "SCPC 04.012345/2025",
        "series_count": series,
        "spend_per_number": Money("100.00"),
        "starts_at": day(0),
        "ends_at": day(60),
        "draw_date": date(2025, 5, 3),
        "permutation_key": bytes(range(16)),
    }
    return RaffleCampaign(**{**fields, **kw})  # type: ignore[arg-type]


def test_one_number_per_whole_amount_spent_in_one_purchase() -> None:
    c = campaign()
    assert [c.tickets_for_spend(Money(x)) for x in ("99.99", "100.00", "350.00")] == [0, 1, 3]
    assert campaign(max_numbers_per_sale=2).tickets_for_spend(Money("900")) == 2


def test_the_permutation_is_a_bijection_of_the_whole_series() -> None:
    c = campaign()
    numbers = {c.number_at(p) for p in range(c.size)}
    assert numbers == set(range(100_000))


def test_numbers_spread_over_every_series() -> None:
    """The first 1,000 positions of a 10-series campaign land in every series and across the
    whole element range, not in a run from 00000 (which would make the nearest-number rule
    favour the edge of the run)."""
    c = campaign(series=10)
    numbers = [c.number_at(p) for p in range(1000)]
    assert {n // 100_000 for n in numbers} == set(range(10))
    assert {n % 100_000 // 10_000 for n in numbers} == set(range(10))


def test_format_number() -> None:
    assert campaign().format_number(82791) == "82791"
    assert campaign(series=10).format_number(182791) == "1-82791"
    assert campaign(series=250).format_number(21 * 100_000 + 791) == "021-00791"


def test_blocks_are_disjoint_and_end_with_the_space() -> None:
    c = campaign()
    a = reserve_block(c, [], "LOJA-01:PDV-01", 60_000)
    b = reserve_block(c, [a], "LOJA-01:PDV-02", 60_000)
    assert (a.start, a.size, b.start, b.size) == (0, 60_000, 60_000, 40_000)
    with pytest.raises(RaffleError, match="already reserved"):
        reserve_block(c, [a, b], "LOJA-01:PDV-03", 1)


def test_a_terminal_that_runs_out_records_owed_tickets_the_server_numbers() -> None:
    c = campaign()
    till = BlockState("verao").with_block(NumberBlock("verao", "LOJA-01:PDV-01", 0, 2))
    tickets, till = issue_tickets(
        c, till, sale_id="S:L:T:000000000001", member_id="m-1", at=day(1), count=3
    )
    assert [t.number is None for t in tickets] == [False, False, True]
    assert till.left == 0
    server = BlockState("verao").with_block(NumberBlock("verao", "HQ:srv-1", 2, 10))
    assigned, server = assign_owed(c, tickets, server)
    assert [t.ticket_id for t in assigned] == ["S:L:T:000000000001/verao/2"]
    assert assigned[0].number == c.number_at(2)
    assert server.left == 9
    check_unique([*tickets[:2], *assigned])


def test_no_tickets_outside_the_campaign_dates() -> None:
    with pytest.raises(RaffleError, match="outside"):
        issue_tickets(
            campaign(), BlockState("verao"), sale_id="s", member_id="m", at=day(60), count=1
        )


def test_the_server_needs_enough_numbers_for_owed_tickets() -> None:
    owed = [RaffleTicket(f"t{i}", "verao", "s", "m", day(1)) for i in range(3)]
    with pytest.raises(RaffleError, match="3 owed"):
        assign_owed(campaign(), owed, BlockState("verao"))


def test_duplicate_numbers_are_detected() -> None:
    t = RaffleTicket("t1", "verao", "s", "m", day(1), 5)
    with pytest.raises(RaffleError, match="given twice"):
        check_unique([t, RaffleTicket("t2", "verao", "s2", "m", day(1), 5)])


@settings(max_examples=60)
@given(st.integers(1, 6), st.data())
def test_offline_terminals_never_repeat_a_number(terminals: int, data: st.DataObject) -> None:
    """N tills each get blocks from the server at random moments, sell offline, run out, and
    record owed tickets; the server then numbers the owed ones. No number repeats."""
    c = campaign(series=2)
    reserved: list[NumberBlock] = []
    states = {f"PDV-{i}": BlockState("verao") for i in range(terminals)}
    tickets: list[RaffleTicket] = []
    for step in range(data.draw(st.integers(1, 40))):
        till = data.draw(st.sampled_from(sorted(states)))
        if data.draw(st.booleans()):
            block = reserve_block(c, reserved, till, data.draw(st.integers(1, 7)))
            reserved.append(block)
            states[till] = states[till].with_block(block)
        made, states[till] = issue_tickets(
            c,
            states[till],
            sale_id=f"S:L:{till}:{step:012d}",
            member_id="m",
            at=day(1),
            count=data.draw(st.integers(0, 5)),
        )
        tickets += made
    server_block = reserve_block(c, reserved, "HQ:srv-1", 1000)
    assigned, _ = assign_owed(c, tickets, BlockState("verao", (server_block,)))
    numbered = [t for t in tickets if t.number is not None] + assigned
    assert len(numbered) == len(tickets)
    check_unique(numbered)
    assert len({t.number for t in numbered}) == len(tickets)
    assert all(t.number is not None and 0 <= t.number < c.size for t in numbered)


@pytest.mark.parametrize(
    "kw",
    [
        {"series": 0},
        {"permutation_key": b"short"},
        {"ends_at": day(0)},
        {"spend_per_number": Money("0")},
    ],
)
def test_bad_campaigns_are_refused(kw: dict[str, object]) -> None:
    series = kw.pop("series", 1)
    with pytest.raises(RaffleError):
        campaign(series=series, **kw)  # type: ignore[arg-type]
