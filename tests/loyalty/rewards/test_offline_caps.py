"""Offline caps: the smallest of known balance, per-sale cap, daily cap and amount due."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.money import Money
from loyalty.rewards import CashbackConfig, Currency, EntryKind, OfflineCaps, PointsConfig
from loyalty.rewards.errors import InvalidConfig
from loyalty.rewards.offline_caps import CapReason, offline_redeemable

from .conftest import day, entry

P, CB = Currency.POINTS, Currency.CASHBACK
START = day(2)  # the store's day starts here
NOW = day(2.5)


def _allow(currency: Currency = P, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "currency": currency,
        "server_available": Decimal(1000),
        "local_entries": [],
        "caps": OfflineCaps(per_sale=Decimal(500), per_member_day=Decimal(800)),
        "at": NOW,
        "day_start": START,
        "amount_due": Money("100.00"),
        "points_config": PointsConfig(),
        "cashback_config": CashbackConfig(max_share=Decimal("0.10")),
    }
    return offline_redeemable(**{**args, **kw})  # type: ignore[arg-type]


def test_worked_example() -> None:
    """Server said 1.000 points. Offline the till booked -100 yesterday, and today -400
    (redeemed) and +50 (earned): known 550. Caps: 500 per sale, 800 per day (400 used today,
    400 left). Due R$ 100,00 = 10.000 points. The daily cap binds: 400."""
    local = [entry(1, -400, at=day(2.1)), entry(2, 50, at=day(2.2)), entry(3, -100, at=day(1.5))]
    a = _allow(local_entries=local)
    assert (a.max_redeemable, a.known_available, a.used_today, a.limited_by) == (
        Decimal(400),
        Decimal(550),
        Decimal(400),
        CapReason.PER_MEMBER_DAY,
    )


@pytest.mark.parametrize(
    ("kw", "expected", "reason"),
    [
        ({}, 500, CapReason.PER_SALE),
        ({"server_available": Decimal(120)}, 120, CapReason.BALANCE),
        ({"server_available": Decimal(-30)}, 0, CapReason.BALANCE),
        ({"amount_due": Money("2.57")}, 257, CapReason.AMOUNT_DUE),
        ({"caps": OfflineCaps()}, 1000, CapReason.BALANCE),
        ({"server_redeemed_today": Decimal(750)}, 50, CapReason.PER_MEMBER_DAY),
    ],
)
def test_each_bound(kw: dict[str, object], expected: int, reason: CapReason) -> None:
    a = _allow(**kw)
    assert (a.max_redeemable, a.limited_by) == (Decimal(expected), reason)


def test_cashback_pending_offline_is_not_spendable_and_the_share_cap_applies() -> None:
    """Server said R$ 20,00; offline earned R$ 5,00 pending; due R$ 45,99 at 10 %: R$ 4,59."""
    local = [entry(1, "5.00", currency=CB, at=day(2.1), available_at=day(32))]
    caps = OfflineCaps(per_sale=Decimal("50.00"))
    a = _allow(
        CB,
        server_available=Decimal("20.00"),
        local_entries=local,
        caps=caps,
        amount_due=Money("45.99"),
    )
    assert (a.max_redeemable, a.known_available, a.limited_by) == (
        Decimal("4.59"),
        Decimal("20.00"),
        CapReason.AMOUNT_DUE,
    )


def test_other_currency_and_future_entries_are_ignored() -> None:
    local = [entry(1, "5.00", currency=CB, at=day(2.1)), entry(2, -300, at=day(3))]
    assert _allow(local_entries=local).known_available == 1000


def test_reversal_of_a_local_redemption_counts_in_the_balance() -> None:
    r = entry(1, -200, at=day(2.1))
    back = entry(2, 200, kind=EntryKind.REVERSE, reverses=r.entry_id, at=day(2.2))
    assert _allow(local_entries=[r, back]).known_available == 1000


def test_negative_caps_are_refused() -> None:
    with pytest.raises(InvalidConfig, match="per_sale"):
        OfflineCaps(per_sale=Decimal(-1))
