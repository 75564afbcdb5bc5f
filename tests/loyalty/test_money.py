"""Money: Decimal only, cents with ROUND_HALF_UP, no float and no currency mixing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money, cents_text


def test_float_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not float: 0.1"):
        Money(0.1)  # type: ignore[arg-type]


def test_arithmetic_with_float_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Money("1.00") * 1.5  # type: ignore[operator]


def test_currency_mismatch_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="currency mismatch: BRL and USD"):
        Money("1") + Money("1", "USD")
    with pytest.raises(TypeError):
        _ = Money("1") < Money("1", "USD")


def test_money_is_immutable_and_hashable() -> None:
    m = Money("1.50")
    with pytest.raises(AttributeError):
        m.amount = Decimal(2)  # type: ignore[misc]
    assert {m, Money("1.5")} == {Money("1.50")}


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("1", "1.00")],
)
def test_quantize_rounds_half_up(amount: str, cents: str) -> None:
    """Half-up, away from zero for negatives too (what a cashier does by hand).

    ======  ======
    amount  cents
    ======  ======
    0.005   0.01
    0.004   0.00
    2.675   2.68   (a float would make this 2.67)
    -0.005  -0.01
    ======  ======
    """
    assert Money(amount).quantize().amount == Decimal(cents)
    assert str(Money(amount).quantize().amount) == cents


def test_bad_strings_name_the_value() -> None:
    with pytest.raises(ValueError, match="invalid amount: 'abc'"):
        Money("abc")
    with pytest.raises(ValueError, match="invalid amount"):
        Money("NaN")


def test_from_cents_and_cents_round_trip() -> None:
    assert Money.from_cents(123456).amount == Decimal("1234.56")
    assert Money("1234.565").cents == 123457


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_round_trip(cents: int) -> None:
    assert Money.from_cents(cents).cents == cents


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_text_is_the_decimal_spelling(cents: int) -> None:
    """Integer formatting of cents spells exactly what Decimal's ``:f`` would."""
    assert cents_text(cents) == f"{Decimal(cents).scaleb(-2):f}"
    assert Money.from_cents(cents).text() == cents_text(cents)
