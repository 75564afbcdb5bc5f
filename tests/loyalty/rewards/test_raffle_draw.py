"""The Loteria Federal winner rule, with the worked example of docs/raffle.md."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rewards import FederalResult, RaffleError, winner, winners
from loyalty.rewards.raffle import DrawRegulation, RaffleTicket
from loyalty.rewards.raffle_draw import drawn_number

from .conftest import day
from .test_raffle import campaign

# Loteria Federal, contest 5.951, Saturday 2025-05-03 (the docs' example).
RESULT = FederalResult(5951, date(2025, 5, 3), ("47148", "08572", "61217", "33049", "90861"))


def t(holder: str, series: int, element: int) -> RaffleTicket:
    number = series * 100_000 + element
    return RaffleTicket(
        f"S:L:T:{number:012d}/verao/0", "verao", f"S:L:T:{number:012d}", holder, day(1), number
    )


EMPLOYEE = "m-employee"
TICKETS = [
    t(EMPLOYEE, 1, 82791),  # the drawn number, but held by an employee: excluded
    t("m-ana", 1, 82793),  # 2 above
    t("m-bruno", 1, 82789),  # 2 below
    t("m-carla", 1, 82795),  # 4 above
    t("m-dora", 2, 82791),  # the same element in the next series
]


def eligible(ticket: RaffleTicket) -> bool:
    return ticket.member_id != EMPLOYEE


def test_worked_example_reads_the_number_from_the_prizes() -> None:
    """Unit digits of prizes 1-5: 8 2 7 9 1 -> element 82791. Tens digits of prizes 1-3:
    4 7 1 -> 471, brought into range of 10 series: 471 mod 10 = series 1."""
    drawn = drawn_number(campaign(series=10), RESULT)
    assert (drawn.element, drawn.series_raw, drawn.series) == (82791, 471, 1)
    assert drawn_number(campaign(series=250), RESULT).series == 221
    assert drawn_number(campaign(series=1), RESULT).series == 0


def test_worked_example_winners() -> None:
    """1-82791 is an employee's: skipped. 1-82793 (Ana, 2 above) and 1-82789 (Bruno, 2 below)
    tie; above comes first, so Ana wins the 1st prize and Bruno the 2nd; Carla (4 above) the
    3rd. With 5 prizes the series runs out and Dora's 2-82791 in the next series is 4th."""
    c = campaign(series=10, regulation=DrawRegulation(prizes=5))
    won = winners(c, RESULT, TICKETS, eligible=eligible)
    assert [(w.prize, w.ticket.member_id, w.distance, w.series_steps) for w in won] == [
        (1, "m-ana", 2, 0),
        (2, "m-bruno", 2, 0),
        (3, "m-carla", 4, 0),
        (4, "m-dora", 0, 1),
    ]
    single = winner(campaign(series=10), RESULT, TICKETS, eligible=eligible)
    assert single is not None
    assert single.ticket.member_id == "m-ana"


def test_an_exact_eligible_match_wins() -> None:
    w = winner(campaign(series=10), RESULT, TICKETS)
    assert w is not None
    assert (w.ticket.member_id, w.distance) == (EMPLOYEE, 0)


def test_below_first_when_the_regulation_says_so() -> None:
    c = campaign(series=10, regulation=DrawRegulation(above_first=False))
    w = winner(c, RESULT, TICKETS, eligible=eligible)
    assert w is not None
    assert w.ticket.member_id == "m-bruno"


def test_the_next_series_wraps_and_can_step_down() -> None:
    only = [t("m-x", 9, 10), t("m-y", 0, 99_999)]
    c = campaign(series=10)
    up = winner(c, RESULT, only)
    assert up is not None
    assert up.ticket.member_id == "m-x"
    assert up.series_steps == 8
    down = winner(campaign(series=10, regulation=DrawRegulation(series_step=-1)), RESULT, only)
    assert down is not None
    assert down.ticket.member_id == "m-y"
    assert down.series_steps == 1


def test_one_prize_per_member() -> None:
    c = campaign(series=10, regulation=DrawRegulation(prizes=2, one_prize_per_member=True))
    tickets = [t("m-ana", 1, 82793), t("m-ana", 1, 82789), t("m-bruno", 1, 82700)]
    assert [w.ticket.member_id for w in winners(c, RESULT, tickets)] == ["m-ana", "m-bruno"]


def test_no_distributed_number_no_winner() -> None:
    assert winner(campaign(series=10), RESULT, []) is None


@given(
    st.lists(st.integers(0, 299_999), min_size=1, max_size=60, unique=True),
    st.lists(st.text("0123456789", min_size=5, max_size=5), min_size=5, max_size=5),
    st.integers(1, 10),
)
def test_winners_are_distinct_and_nearest_first(
    numbers: list[int], prizes: list[str], count: int
) -> None:
    c = campaign(series=3, regulation=DrawRegulation(prizes=count))
    result = FederalResult(1, date(2025, 5, 3), tuple(prizes))  # type: ignore[arg-type]
    tickets = [t(f"m{n}", n // 100_000, n % 100_000) for n in numbers]
    won = winners(c, result, tickets)
    assert len(won) == min(count, len(numbers))
    assert len({w.ticket.number for w in won}) == len(won)
    order = [(w.series_steps, w.distance) for w in won]
    assert order == sorted(order)
    drawn = drawn_number(c, result)
    best = won[0].ticket.number
    assert best is not None
    same = [n for n in numbers if n // 100_000 == drawn.series]
    if same:
        nearest = min(abs(n % 100_000 - drawn.element) for n in same)
        assert best // 100_000 == drawn.series
        assert abs(best % 100_000 - drawn.element) == nearest


@pytest.mark.parametrize(
    "prizes",
    [("1", "22", "33", "44", "55"), ("47148", "08572", "61217", "33049"), ("4714a",) * 5],
)
def test_malformed_results_are_refused(prizes: tuple[str, ...]) -> None:
    with pytest.raises(RaffleError, match="5 prizes"):
        FederalResult(1, date(2025, 5, 3), prizes)  # type: ignore[arg-type]


def test_a_number_distributed_twice_is_refused() -> None:
    a = t("m-a", 1, 5)
    b = RaffleTicket("other", "verao", "s2", "m-b", day(1), a.number)
    with pytest.raises(RaffleError, match="twice"):
        winner(campaign(series=10), RESULT, [a, b])
