"""Cashback: pending until it matures, spendable as a tender within the caps, then expires."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.money import Money
from loyalty.rewards import (
    Balances,
    CashbackConfig,
    Currency,
    EntryKind,
    InsufficientBalance,
    RedemptionError,
    balance,
    expire_due,
    mature_due,
    max_cashback_redeemable,
    redeem_cashback,
)
from loyalty.rewards.errors import InvalidConfig

from .conftest import MEMBER, day, entry, id_source

CB = Currency.CASHBACK
CONFIG = CashbackConfig(maturation_days=30, expiry_days=60, max_share=Decimal("0.10"))


def _earned(amount: str = "8.00") -> list:  # type: ignore[type-arg]
    return [
        entry(
            1,
            amount,
            currency=CB,
            at=day(0),
            available_at=CONFIG.available_at(day(0)),
            expires_at=CONFIG.expires_at(day(0)),
        )
    ]


def test_life_of_a_credit() -> None:
    """R$ 8,00 earned on day 0: pending to day 30, available to day 90, then expired."""
    entries = _earned()
    assert balance(entries, CB, day(29)) == Balances(Decimal(0), Decimal("8.00"), Decimal(0))
    assert balance(entries, CB, day(30)) == Balances(Decimal("8.00"), Decimal(0), Decimal(0))
    assert balance(entries, CB, day(60)).expiring_30d == Decimal("8.00")
    made = expire_due(entries, currency=CB, member_id=MEMBER, at=day(90), new_id=id_source("HQ"))
    assert [(e.kind, e.amount) for e in made] == [(EntryKind.EXPIRE, Decimal("-8.00"))]
    assert balance(entries + made, CB, day(90)).available == 0


def test_pending_cashback_cannot_be_spent() -> None:
    with pytest.raises(InsufficientBalance):
        redeem_cashback(
            _earned(),
            amount=Money("1.00"),
            amount_due=Money("100"),
            config=CONFIG,
            member_id=MEMBER,
            at=day(10),
            new_id=id_source(start=5),
        )


def test_at_most_the_configured_share_of_the_sale() -> None:
    """Due R$ 45,99, 10 % cap: R$ 4,59 (rounded down), below the R$ 8,00 balance."""
    assert max_cashback_redeemable(Decimal("8.00"), Money("45.99"), CONFIG) == Money("4.59")
    assert max_cashback_redeemable(Decimal("3.00"), Money("45.99"), CONFIG) == Money("3.00")
    with pytest.raises(RedemptionError, match="4.59"):
        redeem_cashback(
            _earned(),
            amount=Money("4.60"),
            amount_due=Money("45.99"),
            config=CONFIG,
            member_id=MEMBER,
            at=day(31),
            new_id=id_source(start=5),
        )


def test_the_refusal_writes_money_as_reais() -> None:
    """The cashier reads ``R$ 4,60``, never ``4.60 BRL`` (issue 23, defect 4)."""
    with pytest.raises(RedemptionError) as refused:
        redeem_cashback(
            _earned(),
            amount=Money("4.60"),
            amount_due=Money("45.99"),
            config=CONFIG,
            member_id=MEMBER,
            at=day(31),
            new_id=id_source(start=5),
        )
    assert refused.value.message_pt == "cashback R$ 4,60 acima do permitido nesta venda (R$ 4,59)"
    assert "BRL" not in refused.value.message_en


def test_redeem_within_the_caps() -> None:
    made = redeem_cashback(
        _earned(),
        amount=Money("4.59"),
        amount_due=Money("45.99"),
        config=CONFIG,
        member_id=MEMBER,
        at=day(31),
        new_id=id_source(start=5),
        sale_id="S:L:T:000000000001",
    )
    assert [(e.amount, e.kind) for e in made] == [(Decimal("-4.59"), EntryKind.REDEEM)]
    assert balance(_earned() + list(made), CB, day(31)).available == Decimal("3.41")


def test_fractions_of_a_cent_are_refused() -> None:
    with pytest.raises(RedemptionError):
        redeem_cashback(
            _earned(),
            amount=Money("1.001"),
            amount_due=Money("100"),
            config=CONFIG,
            member_id=MEMBER,
            at=day(31),
            new_id=id_source(start=5),
        )


@pytest.mark.parametrize(
    "kwargs", [{"maturation_days": -1}, {"expiry_days": 0}, {"max_share": Decimal("1.5")}]
)
def test_bad_cashback_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidConfig):
        CashbackConfig(**kwargs)  # type: ignore[arg-type]


def test_maturity_markers_are_history_only_and_written_once() -> None:
    entries = _earned()
    assert mature_due(entries, member_id=MEMBER, at=day(29), new_id=id_source("HQ")) == []
    marks = mature_due(entries, member_id=MEMBER, at=day(31), new_id=id_source("HQ"))
    assert [(m.kind, m.amount, m.effective_at, m.reverses) for m in marks] == [
        (EntryKind.MATURE, Decimal("0.00"), day(30), entries[0].entry_id)
    ]
    both = entries + marks
    assert balance(both, CB, day(31)) == balance(entries, CB, day(31))
    assert mature_due(both, member_id=MEMBER, at=day(40), new_id=id_source("HQ", start=9)) == []
