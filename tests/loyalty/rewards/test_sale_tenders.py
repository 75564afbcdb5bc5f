"""A sale's tenders: points first, then cashback on what is left; the BRL caps are shared.

Worked example (100 points = R$ 1,00; cap R$ 50,00 per sale, R$ 100,00 per member per day)::

    sale total R$ 80,00, member has 6.000 points and R$ 40,00 of cashback
    points tender 3.000 (R$ 30,00)  -> cashback may be at most R$ 20,00 (50 - 30)
    cashback tender R$ 20,00        -> points may be at most 3.000 (R$ 50 - 20)
    redeemed today R$ 45 of cashback elsewhere -> points at most 5.500 (R$ 100 - 45),
                                                  capped by the sale's R$ 50 - 0 = 5.000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import (
    CashbackConfig,
    Currency,
    EntryKind,
    LedgerEntry,
    PointsConfig,
    RedeemCaps,
    RedemptionError,
    make_entry_id,
    redeem_for_sale,
    tender_allowance,
)

AT = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
CAPS = RedeemCaps(Money("50.00"), Money("100.00"))
POINTS = PointsConfig()
CASH = CashbackConfig(maturation_days=0)


def _earn(seq: int, currency: Currency, amount: str) -> LedgerEntry:
    return LedgerEntry(
        make_entry_id("L", "SRV", seq),
        "m1",
        currency,
        EntryKind.EARN,
        Decimal(amount),
        AT - timedelta(days=10),
    )


SERVER = [_earn(1, Currency.POINTS, "6000"), _earn(2, Currency.CASHBACK, "40.00")]


def _allow(currency: Currency, points: int = 0, cash: str = "0", **kw: object) -> Decimal:
    found = tender_allowance(
        currency,
        caps=CAPS,
        points_config=POINTS,
        cashback_config=CASH,
        server=kw.get("server", SERVER),  # type: ignore[arg-type]
        local=kw.get("local", []),  # type: ignore[arg-type]
        at=AT,
        day_start=DAY,
        amount_due=Money(str(kw.get("due", "80.00"))),
        points_in_sale=points,
        cashback_in_sale=Money(cash),
    )
    return found.max_redeemable


def test_the_caps_are_shared_between_points_and_cashback() -> None:
    assert _allow(Currency.CASHBACK, points=3000) == Decimal("20.00")
    assert _allow(Currency.POINTS, cash="20.00") == Decimal(3000)
    assert _allow(Currency.POINTS) == Decimal(5000)  # the R$ 50 per sale


def test_what_the_other_currency_redeemed_today_counts_against_the_day() -> None:
    spent = LedgerEntry(
        make_entry_id("L", "T", 9),
        "m1",
        Currency.CASHBACK,
        EntryKind.REDEEM,
        Decimal("-30.00"),
        AT - timedelta(hours=2),
        reverses=SERVER[1].entry_id,
    )
    spent_more = LedgerEntry(
        make_entry_id("L", "T", 10),
        "m1",
        Currency.CASHBACK,
        EntryKind.REDEEM,
        Decimal("-5.00"),
        AT - timedelta(hours=1),
        reverses=SERVER[1].entry_id,
    )
    # R$ 100 a day less R$ 35 of cashback today: R$ 65, beyond the sale's R$ 50
    assert _allow(Currency.POINTS, local=[spent, spent_more]) == Decimal(5000)
    # with R$ 60 spent the day leaves R$ 40 = 4.000 points
    big = LedgerEntry(
        make_entry_id("L", "T", 11),
        "m1",
        Currency.CASHBACK,
        EntryKind.REDEEM,
        Decimal("-25.00"),
        AT - timedelta(minutes=5),
        reverses=SERVER[1].entry_id,
    )
    assert _allow(Currency.POINTS, local=[spent, spent_more, big]) == Decimal(4000)


@settings(max_examples=60, deadline=None)
@given(
    points=st.integers(0, 6000),
    due_cents=st.integers(1, 20_000),
)
def test_a_tender_within_the_allowance_never_passes_the_shared_cap(
    points: int, due_cents: int
) -> None:
    """Whatever points were tendered first, the cashback the allowance lets through keeps
    points value + cashback within the R$ 50 per sale and the amount due."""
    due = Money.from_cents(due_cents)
    allowed_points = _allow(Currency.POINTS, due=str(due.amount))
    points = min(points, int(allowed_points))
    rest = due - POINTS.value_of(points)
    cash = _allow(Currency.CASHBACK, points=points, due=str(rest.amount))
    total = POINTS.value_of(points).amount + cash
    assert total <= CAPS.per_sale.amount
    assert total <= due.amount


def test_points_are_redeemed_first_and_cashback_on_what_they_left() -> None:
    seq = iter(range(100, 200))
    made = redeem_for_sale(
        SERVER,
        points=3000,
        cashback=Money("10.00"),
        total=Money("40.00"),
        points_config=POINTS,
        cashback_config=CASH,
        member_id="m1",
        at=AT,
        new_id=lambda: make_entry_id("L", "T", next(seq)),
        sale_id="S:L:T:000000000001",
    )
    assert made.points_value == Money("30.00")
    assert [(e.currency, e.amount) for e in made.entries] == [
        (Currency.POINTS, Decimal(-3000)),
        (Currency.CASHBACK, Decimal("-10.00")),
    ]
    with pytest.raises(RedemptionError):  # R$ 30 of points leave R$ 10 for cashback
        redeem_for_sale(
            SERVER,
            points=3000,
            cashback=Money("10.01"),
            total=Money("40.00"),
            points_config=POINTS,
            cashback_config=CASH,
            member_id="m1",
            at=AT,
            new_id=lambda: make_entry_id("L", "T", next(seq)),
            sale_id="S:L:T:000000000002",
        )
