"""Refunds: pro-rata reversal that adds up exactly, in any sequence of partial refunds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import (
    CashbackConfig,
    Currency,
    EntryKind,
    LedgerEntry,
    PointsConfig,
    RefundError,
    RefundState,
    RuleReward,
    SaleRecord,
    VoucherUse,
    balance,
    refund_sale,
    sale_earn_entries,
)
from loyalty.rewards.raffle import RaffleTicket
from loyalty.rewards.redemption import redeem_entries

from .conftest import MEMBER, day, entry, id_source

P, CB = Currency.POINTS, Currency.CASHBACK
SALE = "S:LOJA-01:PDV-01:000000000001"


def _sale(
    points: int, cashback: str | Money, redeem: int, total: str | Money
) -> tuple[list[LedgerEntry], SaleRecord]:
    ids = id_source(start=100)
    prior = [
        entry(1, 500, at=day(0), expires_at=day(40)),
        entry(2, 300, at=day(1), expires_at=day(400)),
        entry(3, "7.00", currency=CB, at=day(0), available_at=day(5), expires_at=day(90)),
    ]
    made: list[LedgerEntry] = []
    if redeem:
        made += redeem_entries(
            prior,
            currency=P,
            amount=Decimal(redeem),
            member_id=MEMBER,
            at=day(10),
            new_id=ids,
            sale_id=SALE,
        )
    earned = sale_earn_entries(
        sale_id=SALE,
        member_id=MEMBER,
        at=day(10),
        rewards=[
            RuleReward(
                "base",
                points=points,
                cashback=Money(cashback) if isinstance(cashback, str) else cashback,
            )
        ],
        new_id=ids,
        points_config=PointsConfig(),
        cashback_config=CashbackConfig(),
    )
    made += earned.entries
    tickets = tuple(
        RaffleTicket(f"{SALE}/verao/{i}", "verao", SALE, MEMBER, day(10), None if i == 2 else i)
        for i in range(3)
    )
    use = VoucherUse("v-1", SALE, "LOJA-01", "PDV-01", day(10), MEMBER)
    total_money = Money(total) if isinstance(total, str) else total
    return prior, SaleRecord(SALE, MEMBER, total_money, tuple(made), tickets, (use,))


def test_worked_example_two_partial_refunds() -> None:
    """Sale of R$ 99,90 earned 100 points and R$ 3,33 cashback, paid 150 points.

    | refund  | cumulative | points taken back  | cashback back       | points given back |
    |---------|------------|--------------------|---------------------|-------------------|
    | R$ 33,30| 33,30      | round(33.33)=33    | round(1.11)=1,11    | round(50)=50      |
    | R$ 66,60| 99,90      | 100-33=67          | 3,33-1,11=2,22      | 150-50=100        |

    Raffle: 3 numbers; after the first refund floor(3*66.6/99.9)=2 are kept, so the owed one
    (no number yet) is voided; the last refund voids the other two and restores the voucher.
    """
    prior, sale = _sale(100, "3.33", 150, "99.90")
    ids = id_source(terminal="PDV-02")
    first = refund_sale(
        sale,
        refund=Money("33.30"),
        state=RefundState(),
        ledger=prior + list(sale.entries),
        at=day(12),
        new_id=ids,
    )
    rows = sorted((e.currency.value, e.amount) for e in first.entries)
    assert rows == [
        ("cashback", Decimal("-1.11")),
        ("points", Decimal(-33)),
        ("points", Decimal(50)),
    ]
    assert first.void_tickets == (f"{SALE}/verao/2",)
    assert first.restore_vouchers == ()
    second = refund_sale(
        sale,
        refund=Money("66.60"),
        state=first.state,
        ledger=prior + list(sale.entries) + list(first.entries),
        at=day(13),
        new_id=ids,
    )
    rows = sorted((e.currency.value, e.amount) for e in second.entries)
    assert rows == [
        ("cashback", Decimal("-2.22")),
        ("points", Decimal(-67)),
        ("points", Decimal(100)),
    ]
    assert second.void_tickets == (f"{SALE}/verao/1", f"{SALE}/verao/0")
    assert [u.voucher_id for u in second.restore_vouchers] == ["v-1"]
    assert all(e.kind is EntryKind.REVERSE and e.reverses for e in second.entries)


@given(
    points=st.integers(0, 5000),
    cashback=st.integers(0, 9999),
    redeem=st.integers(0, 800),
    total=st.integers(1, 50_000),
    data=st.data(),
)
def test_partial_refunds_adding_up_to_the_sale_restore_every_balance(
    points: int, cashback: int, redeem: int, total: int, data: st.DataObject
) -> None:
    prior, sale = _sale(points, Money.from_cents(cashback), redeem, Money.from_cents(total))
    cuts = data.draw(st.sets(st.integers(1, total - 1), max_size=6)) if total > 1 else set()
    bounds = [0, *sorted(cuts), total]
    ledger = prior + list(sale.entries)
    state = RefundState()
    ids = id_source(terminal="PDV-07")
    voided: list[str] = []
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
        result = refund_sale(
            sale,
            refund=Money.from_cents(hi - lo),
            state=state,
            ledger=ledger,
            at=day(11 + i),
            new_id=ids,
        )
        ledger += result.entries
        state = result.state
        voided += result.void_tickets
        for e in sale.entries:  # never more than the entry itself
            assert state.reversed.get(e.entry_id, 0) <= abs(e.amount)
    end = day(11 + len(bounds))
    for currency in (P, CB):
        assert balance(ledger, currency, end) == balance(prior, currency, end)
    assert sorted(voided) == sorted(t.ticket_id for t in sale.tickets)
    assert result.restore_vouchers == sale.voucher_uses


def test_each_refund_rounds_the_cumulative_share_half_up() -> None:
    """A sale of R$ 30,00 earned 100 points. Refunds of R$ 5,00, R$ 5,00 and R$ 20,00:

    | refund | cumulative | exact share   | half-up | booked |
    |--------|------------|---------------|---------|--------|
    | 5,00   | 5,00       | 16.67         | 17      | -17    |
    | 5,00   | 10,00      | 33.33         | 33      | -16    |
    | 20,00  | 30,00      | 100           | 100     | -67    |
    """
    prior, sale = _sale(100, "0", 0, "30.00")
    ledger = prior + list(sale.entries)
    state = RefundState()
    booked = []
    for i, amount in enumerate(["5.00", "5.00", "20.00"]):
        result = refund_sale(
            sale,
            refund=Money(amount),
            state=state,
            ledger=ledger,
            at=day(11 + i),
            new_id=id_source(terminal=f"PDV-1{i}"),
        )
        booked += [e.amount for e in result.entries]
        ledger += result.entries
        state = result.state
    assert booked == [Decimal(-17), Decimal(-16), Decimal(-67)]


def test_refund_of_points_already_spent_goes_negative_only_by_what_was_spent() -> None:
    """The sale earned 100 points; the member spent all 900 points; the refund takes the 100
    back: the balance is -100 (what was spent of them), and is reported."""
    prior, sale = _sale(100, "0", 0, "50.00")
    ledger = prior + list(sale.entries)
    ledger += redeem_entries(
        ledger,
        currency=P,
        amount=Decimal(900),
        member_id=MEMBER,
        at=day(11),
        new_id=id_source(terminal="PDV-05"),
    )
    result = refund_sale(
        sale,
        refund=Money("50.00"),
        state=RefundState(),
        ledger=ledger,
        at=day(12),
        new_id=id_source(terminal="PDV-06"),
    )
    assert [e.amount for e in result.entries] == [Decimal(-100)]
    assert result.negative_balance == {P: Decimal(100)}


@pytest.mark.parametrize(
    ("already", "refund"),
    [("0", "0"), ("0", "-1"), ("0", "0.001"), ("40", "10.01"), ("0", "50.01")],
)
def test_impossible_refunds_are_refused(already: str, refund: str) -> None:
    prior, sale = _sale(100, "0", 0, "50.00")
    with pytest.raises(RefundError):
        refund_sale(
            sale,
            refund=Money(refund),
            state=RefundState(refunded=Money(already)),
            ledger=prior,
            at=day(12),
            new_id=id_source(terminal="PDV-06"),
        )


def test_refund_state_round_trips_through_json() -> None:
    state = RefundState(Money("33.30"), {"E:L:T:000000000001": Decimal(33)}, frozenset({"t-1"}))
    assert RefundState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    for bad in [
        None,
        {},
        {"refunded": "1", "reversed": [], "voided_tickets": []},
        {"refunded": "x", "reversed": {}, "voided_tickets": []},
    ]:
        with pytest.raises(RefundError):
            RefundState.from_dict(bad)
