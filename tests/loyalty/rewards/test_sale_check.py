"""The server's re-check of a recorded sale's rewards: earned per rule, tickets, redemptions.

Worked example (1 point per R$ 1,00 on rule ``p``, 2 % cashback on rule ``c``, R$ 15,50)::

    rules give        p: 15 points        c: R$ 0,31
    till booked 20    -> points   till 20    server 15
    booked to q       -> by_rule  "q points 15" vs "p points 15" (totals agree)
    points R$ 30 + cashback R$ 25 on a R$ 15,50 sale -> redeemed 55.00 vs 15.50
                                                     and redeem_per_sale 55.00 vs 50.00
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import compile_rules, price
from loyalty.rewards import (
    CashbackConfig,
    Currency,
    EntryKind,
    LedgerEntry,
    PointsConfig,
    TenderLimits,
    check_sale_rewards,
    make_entry_id,
    rule_rewards,
    sale_earn_entries,
)
from tests.loyalty.pricing.pricing_helpers import line, member, rule

AT = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
RULES = compile_rules(
    {
        "rules": [
            rule("p", "points", per_amount="1.00", points=1),
            rule("c", "cashback", percent="2"),
            rule("r", "raffle", per_amount="5.00", campaign="natal"),
        ]
    }
)
RESULT = price(RULES, [line("A", 1, "10.00"), line("B", 1, "5.50")], member(), None, AT)
LIMITS = TenderLimits(PointsConfig(), Money("50.00"))
_seq = iter(range(1, 100_000))


def _id() -> str:
    return make_entry_id("L", "T", next(_seq))


def _booked() -> list[LedgerEntry]:
    return list(
        sale_earn_entries(
            sale_id="S:L:T:000000000001",
            member_id="m1",
            at=AT,
            rewards=rule_rewards(RESULT.rewards.details),
            new_id=_id,
            points_config=PointsConfig(),
            cashback_config=CashbackConfig(),
        ).entries
    )


def _entry(currency: Currency, kind: EntryKind, amount: str, rule_id: str | None) -> LedgerEntry:
    return LedgerEntry(
        _id(),
        "m1",
        currency,
        kind,
        Decimal(amount),
        AT,
        rule_id=rule_id,
        reverses=None if kind is EntryKind.EARN else "E:L:T:000000000999",
    )


def _check(entries: list[LedgerEntry], tickets: dict[str, int] | None = None) -> dict:  # type: ignore[type-arg]
    return check_sale_rewards(
        RESULT.rewards.details,
        entries,
        total=RESULT.total,
        raffle_tickets={"natal": 3} if tickets is None else tickets,
        limits=LIMITS,
    )


def test_what_the_till_books_with_the_same_bridge_agrees() -> None:
    assert _check(_booked()) == {}


def test_more_points_than_the_rules_give_is_a_difference() -> None:
    entries = [e for e in _booked() if e.currency is Currency.CASHBACK]
    entries.append(_entry(Currency.POINTS, EntryKind.EARN, "20", "p"))
    assert _check(entries) == {"points": {"till": "20", "server": "15"}}


def test_cashback_missing_is_shown_in_cents() -> None:
    entries = [e for e in _booked() if e.currency is Currency.POINTS]
    assert _check(entries) == {"cashback": {"till": "0.00", "server": "0.31"}}


def test_the_right_total_on_the_wrong_rule_is_a_difference() -> None:
    entries = [e for e in _booked() if e.currency is Currency.CASHBACK]
    entries.append(_entry(Currency.POINTS, EntryKind.EARN, "15", "q"))
    assert _check(entries) == {
        "by_rule": {
            "till": "c cashback 0.31; q points 15",
            "server": "c cashback 0.31; p points 15",
        }
    }


def test_raffle_tickets_are_compared_per_campaign() -> None:
    assert _check(_booked(), {"natal": 2, "pascoa": 1}) == {
        "raffle:natal": {"till": "2", "server": "3"},
        "raffle:pascoa": {"till": "1", "server": "0"},
    }


def test_redemptions_beyond_the_total_and_the_cap_per_sale_are_differences() -> None:
    entries = _booked()
    entries.append(_entry(Currency.POINTS, EntryKind.REDEEM, "-3000", None))
    entries.append(_entry(Currency.CASHBACK, EntryKind.REDEEM, "-25.00", None))
    assert _check(entries) == {
        "redeemed": {"till": "55.00", "server": "15.50"},
        "redeem_per_sale": {"till": "55.00", "server": "50.00"},
    }


def test_points_redeemed_from_several_lots_are_valued_as_one_tender() -> None:
    """150 points = R$ 1,50; taken as 75 + 75 from two lots they are still R$ 1,50."""
    entries = _booked()
    entries += [_entry(Currency.POINTS, EntryKind.REDEEM, "-75", None) for _ in range(2)]
    entries.append(_entry(Currency.CASHBACK, EntryKind.REDEEM, "-14.00", None))
    assert _check(entries) == {}  # R$ 1,50 + R$ 14,00 = R$ 15,50, the total
    entries.append(_entry(Currency.CASHBACK, EntryKind.REDEEM, "-0.01", None))
    assert _check(entries) == {"redeemed": {"till": "15.51", "server": "15.50"}}


@settings(max_examples=60, deadline=None)
@given(
    cents=st.lists(st.integers(1, 30_000), min_size=1, max_size=5),
    points_wanted=st.integers(0, 20_000),
    cash_wanted=st.integers(0, 10_000),
)
def test_a_sale_the_till_records_within_its_rules_always_passes_the_re_check(
    cents: list[int], points_wanted: int, cash_wanted: int
) -> None:
    """GIVEN a member with 20.000 points and R$ 100,00 of cashback and any basket
    WHEN the till takes the tenders its shared caps allow (points first, then cashback) and
    books the rules' rewards with the core's functions
    THEN the server's re-check of that sale finds no difference."""
    from datetime import timedelta

    from loyalty.rewards import RedeemCaps, redeem_for_sale, tender_allowance

    basket = [line(f"S{i}", 1, f"{Decimal(c).scaleb(-2):.2f}") for i, c in enumerate(cents)]
    result = price(RULES, basket, member(), None, AT)
    old = AT - timedelta(days=5)
    ledger = [
        LedgerEntry(_id(), "m1", Currency.POINTS, EntryKind.EARN, Decimal(20_000), old),
        LedgerEntry(_id(), "m1", Currency.CASHBACK, EntryKind.EARN, Decimal("100.00"), old),
    ]
    caps = RedeemCaps(Money("50.00"), Money("100.00"))
    cash_config = CashbackConfig(maturation_days=0)

    def allowed(currency: Currency, points: int, cash: Money, due: Money) -> Decimal:
        return tender_allowance(
            currency, caps=caps, points_config=PointsConfig(), cashback_config=cash_config,
            server=ledger, local=[], at=AT, day_start=AT - timedelta(hours=12), amount_due=due,
            points_in_sale=points, cashback_in_sale=cash,
        ).max_redeemable  # fmt: skip

    points = min(points_wanted, int(allowed(Currency.POINTS, 0, Money.zero(), result.total)))
    due = result.total - PointsConfig().value_of(points)
    cash = Money.from_cents(
        min(cash_wanted, int(allowed(Currency.CASHBACK, points, Money.zero(), due) * 100))
    )
    sale_id = "S:L:T:000000000009"
    entries = list(
        redeem_for_sale(
            ledger, points=points, cashback=cash, total=result.total,
            points_config=PointsConfig(), cashback_config=cash_config, member_id="m1", at=AT,
            new_id=_id, sale_id=sale_id,
        ).entries
    )  # fmt: skip
    entries += sale_earn_entries(
        sale_id=sale_id, member_id="m1", at=AT, rewards=rule_rewards(result.rewards.details),
        new_id=_id, points_config=PointsConfig(), cashback_config=cash_config,
    ).entries  # fmt: skip
    tickets = dict(result.rewards.raffle_tickets)
    assert (
        check_sale_rewards(
            result.rewards.details, entries, total=result.total, raffle_tickets=tickets,
            limits=LIMITS,
        )
        == {}
    )  # fmt: skip
