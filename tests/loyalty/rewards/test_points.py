"""Points: value at the till, redemption limits, FIFO-linked redeem entries, earning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import (
    CashbackConfig,
    Currency,
    EntryKind,
    InsufficientBalance,
    PointsConfig,
    RedemptionError,
    RuleReward,
    balance,
    max_points_redeemable,
    redeem_points,
    sale_earn_entries,
)
from loyalty.rewards.errors import InvalidConfig, RewardsError

from .conftest import MEMBER, T0, day, entry, id_source

P = Currency.POINTS
DEFAULT = PointsConfig()


@pytest.mark.parametrize(
    ("config", "points", "value"),
    [
        (DEFAULT, 100, "1.00"),
        (DEFAULT, 150, "1.50"),
        (DEFAULT, 1, "0.01"),
        (PointsConfig(points_per_unit=3, unit_value=Money("0.10")), 1, "0.03"),  # 0.0333 down
        (PointsConfig(points_per_unit=3, unit_value=Money("0.10")), 30, "1.00"),
        (PointsConfig(points_per_unit=3, unit_value=Money("0.10")), 2, "0.06"),  # 0.0667 down
        (PointsConfig(points_per_unit=1, unit_value=Money("0.05")), 7, "0.35"),
    ],
)
def test_value_of_points_rounds_down_to_the_cent(
    config: PointsConfig, points: int, value: str
) -> None:
    assert config.value_of(points) == Money(value)


@given(
    st.integers(1, 1000),
    st.integers(1, 10_000).map(lambda c: Money.from_cents(c)),
    st.integers(0, 10**7).map(lambda c: Money.from_cents(c)),
)
def test_points_for_is_the_most_points_not_worth_more_than_the_amount(
    per_unit: int, unit_value: Money, amount: Money
) -> None:
    config = PointsConfig(points_per_unit=per_unit, unit_value=unit_value)
    p = config.points_for(amount)
    assert config.value_of(p) <= amount
    assert config.value_of(p + 1) > amount or p == 0 and amount.amount == 0


def test_never_more_than_the_balance_or_the_amount_due() -> None:
    assert max_points_redeemable(Decimal(5000), Money("12.34"), DEFAULT) == 1234
    assert max_points_redeemable(Decimal(700), Money("12.34"), DEFAULT) == 700
    assert max_points_redeemable(Decimal(-50), Money("12.34"), DEFAULT) == 0


def test_redemption_draws_first_expiring_lots_and_links_each() -> None:
    """Lots: A 300 (expires day 200), B 200 (expires day 50). Redeem 350 on day 10:
    B gives 200, A gives 150; the tender is worth R$ 3,50."""
    a = entry(1, 300, at=day(0), expires_at=day(200))
    b = entry(2, 200, at=day(1), expires_at=day(50))
    r = redeem_points(
        [a, b],
        points=350,
        amount_due=Money("20.00"),
        config=DEFAULT,
        member_id=MEMBER,
        at=day(10),
        new_id=id_source(terminal="PDV-02"),
        sale_id="S:LOJA-01:PDV-02:000000000001",
    )
    assert r.value == Money("3.50")
    assert [(e.amount, e.reverses, e.kind) for e in r.entries] == [
        (Decimal(-200), b.entry_id, EntryKind.REDEEM),
        (Decimal(-150), a.entry_id, EntryKind.REDEEM),
    ]
    assert balance([a, b, *r.entries], P, day(10)).available == 150


def test_redeeming_more_than_the_balance_is_refused() -> None:
    with pytest.raises(InsufficientBalance) as err:
        redeem_points(
            [entry(1, 100)],
            points=101,
            amount_due=Money("50"),
            config=DEFAULT,
            member_id=MEMBER,
            at=T0,
            new_id=id_source(start=9),
        )
    assert "101" in err.value.message_en
    assert "100" in err.value.message_pt


@pytest.mark.parametrize("points", [0, -5, True])
def test_points_must_be_positive_whole_numbers(points: int) -> None:
    with pytest.raises(RedemptionError):
        redeem_points(
            [entry(1, 100)],
            points=points,
            amount_due=Money("50"),
            config=DEFAULT,
            member_id=MEMBER,
            at=T0,
            new_id=id_source(start=9),
        )


def test_points_worth_more_than_the_amount_due_are_refused() -> None:
    with pytest.raises(RedemptionError, match="at most 250"):
        redeem_points(
            [entry(1, 1000)],
            points=251,
            amount_due=Money("2.50"),
            config=DEFAULT,
            member_id=MEMBER,
            at=T0,
            new_id=id_source(start=9),
        )


@pytest.mark.parametrize(
    "kwargs", [{"points_per_unit": 0}, {"unit_value": Money("0")}, {"expiry_months": 0}]
)
def test_bad_points_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidConfig):
        PointsConfig(**kwargs)  # type: ignore[arg-type]


def test_sale_earnings_book_one_entry_per_rule_and_currency() -> None:
    """Sale on 2025-03-01 12:00 UTC: rule "base" 120 points, rule "cb" R$ 4,50 cashback and
    2 raffle numbers, rule "dbl" 120 points and 1 raffle number. Points expire 12 months later
    (2026-03-01), cashback matures in 30 days (2025-03-31) and expires 90 days after that."""
    earned = sale_earn_entries(
        sale_id="S:LOJA-01:PDV-01:000000000010",
        member_id=MEMBER,
        at=T0,
        rewards=[
            RuleReward("base", points=120),
            RuleReward("cb", cashback=Money("4.50"), raffle_tickets={"verao": 2}),
            RuleReward("dbl", points=120, raffle_tickets={"verao": 1}),
            RuleReward("nothing"),
        ],
        new_id=id_source(),
        points_config=DEFAULT,
        cashback_config=CashbackConfig(),
        store_id="LOJA-01",
        terminal_id="PDV-01",
    )
    rows = [(e.rule_id, e.currency, e.amount, e.available_at, e.expires_at) for e in earned.entries]
    assert rows == [
        ("base", P, Decimal(120), None, T0.replace(year=2026)),
        ("cb", Currency.CASHBACK, Decimal("4.50"), day(30), day(120)),
        ("dbl", P, Decimal(120), None, T0.replace(year=2026)),
    ]
    assert earned.raffle_tickets == {"verao": 3}
    assert {e.sale_id for e in earned.entries} == {"S:LOJA-01:PDV-01:000000000010"}
    assert len({e.entry_id for e in earned.entries}) == 3


@pytest.mark.parametrize(
    "reward",
    [
        {"points": -1},
        {"cashback": Money("0.005")},
        {"cashback": Money("-1")},
        {"raffle_tickets": {"x": -1}},
    ],
)
def test_bad_rule_rewards_are_refused(reward: dict[str, object]) -> None:
    with pytest.raises(RewardsError, match="rule 'r'"):
        RuleReward("r", **reward)  # type: ignore[arg-type]
