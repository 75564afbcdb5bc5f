"""Tiers: rolling 12-month spend, upgrades at once, downgrades only at the review."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import TierConfig
from loyalty.rewards.errors import InvalidConfig
from loyalty.rewards.tiers import Spend, Tier, after_sale, qualifying_spend, review

from .conftest import T0, day

LADDER = TierConfig(
    (Tier("bronze", Money("0")), Tier("prata", Money("2000.00")), Tier("ouro", Money("5000.00")))
)


def test_worked_example_upgrade_now_downgrade_at_review() -> None:
    """
    | when                | spend     | 12-month spend | tier                          |
    |---------------------|-----------|----------------|-------------------------------|
    | 2025-03-01          | 1.500,00  | 1.500,00       | bronze                        |
    | 2025-06-01          | 500,00    | 2.000,00       | prata (>= 2.000: at once)     |
    | 2026-03-10 (sale)   | 10,00     | 510,00         | prata (no downgrade on a sale)|
    | 2026-04-01 (review) |           | 510,00         | bronze                        |
    """
    spends = [Spend(T0, Money("1500.00"))]
    assert after_sale(LADDER, "bronze", spends, T0).tier == "bronze"
    spends.append(Spend(T0.replace(month=6), Money("500.00")))
    status = after_sale(LADDER, "bronze", spends, T0.replace(month=6))
    assert (status.tier, status.qualifying_spend, status.next_tier, status.to_next) == (
        "prata",
        Money("2000.00"),
        "ouro",
        Money("3000.00"),
    )
    later = T0.replace(year=2026, day=10)
    spends.append(Spend(later, Money("10.00")))
    assert after_sale(LADDER, "prata", spends, later).tier == "prata"
    assert review(LADDER, "prata", spends, T0.replace(year=2026, month=4)).tier == "bronze"


def test_window_is_the_last_12_months_exclusive_of_its_start() -> None:
    spends = [Spend(T0, Money("100")), Spend(day(10), Money("-40"))]  # a refund
    assert qualifying_spend(spends, day(10)) == Money("60")
    assert qualifying_spend(spends, T0.replace(year=2026)) == Money("-40")


def test_top_tier_has_no_next() -> None:
    status = review(LADDER, "bronze", [Spend(T0, Money("9000"))], T0)
    assert (status.tier, status.next_tier, status.to_next) == ("ouro", None, None)


@given(
    st.lists(st.tuples(st.integers(0, 800), st.integers(-500, 3000)), max_size=20),
    st.integers(0, 800),
    st.sampled_from(["bronze", "prata", "ouro"]),
)
def test_after_a_sale_the_tier_never_drops(
    raw: list[tuple[int, int]], at: int, current: str
) -> None:
    spends = [Spend(day(d), Money(a)) for d, a in raw]
    after = after_sale(LADDER, current, spends, day(at))
    reviewed = review(LADDER, current, spends, day(at))
    assert LADDER.rank(after.tier) == max(LADDER.rank(current), LADDER.rank(reviewed.tier))


@pytest.mark.parametrize(
    "tiers",
    [
        (),
        (Tier("a", Money("10")),),
        (Tier("a", Money("0")), Tier("b", Money("0"))),
        (Tier("a", Money("0")), Tier("a", Money("5"))),
    ],
)
def test_bad_ladders_are_refused(tiers: tuple[Tier, ...]) -> None:
    with pytest.raises(InvalidConfig):
        TierConfig(tiers)


def test_unknown_current_tier_is_refused() -> None:
    with pytest.raises(InvalidConfig, match="diamante"):
        review(LADDER, "diamante", [], T0)


def test_review_is_due_every_configured_months() -> None:
    quarterly = TierConfig(LADDER.tiers, review_every_months=3)
    assert not quarterly.review_due(T0, T0.replace(month=5, day=28))
    assert quarterly.review_due(T0, T0.replace(month=6))
    with pytest.raises(InvalidConfig, match="review_every_months"):
        TierConfig(LADDER.tiers, review_every_months=0)
