"""Parsing and formatting BRL as people write it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.l10n import MoneyParseError, format_brl, format_plain, parse_money, parse_percent
from loyalty.money import Money

cents = st.integers(min_value=-(10**11), max_value=10**11)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12,34", "12.34"),
        ("12.34", "12.34"),
        ("R$ 1.234,56", "1234.56"),
        ("R$1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234", "1234.00"),
        ("0,5", "0.50"),
        ("1.234", "1234.00"),
        ("1.234.567,89", "1234567.89"),
        ("-R$ 5,00", "-5.00"),
        ("R$ -5,00", "-5.00"),
        ("  7,90 ", "7.90"),
    ],
)
def test_parses_what_people_write(text: str, amount: str) -> None:
    assert parse_money(text) == Money(amount)


@pytest.mark.parametrize(
    "text", ["", "abc", "R$", "1,2,3", "12..3", "1.23.4", "1.2345", "12.34,56", "--5", "1e3"]
)
def test_rejects_non_amounts_naming_the_text(text: str) -> None:
    with pytest.raises(MoneyParseError) as info:
        parse_money(text)
    assert repr(text) in str(info.value)
    assert info.value.message_pt.startswith("valor inválido")


def test_formats_pt_br() -> None:
    assert format_brl(Money("1234.56")) == "R$ 1.234,56"
    assert format_brl(Money("0.5")) == "R$ 0,50"
    assert format_brl(Money("-5")) == "-R$ 5,00"
    assert format_brl(Money("1234567.891")) == "R$ 1.234.567,89"
    assert format_brl(Money("10"), symbol=False) == "10,00"
    assert format_plain(Money("1234.5")) == "1234.50"


@given(cents)
def test_parse_of_format_is_identity(value: int) -> None:
    money = Money.from_cents(value)
    assert parse_money(format_brl(money)) == money
    assert parse_money(format_brl(money, symbol=False)) == money
    assert parse_money(format_plain(money)) == money
    assert parse_money(format_plain(money)).amount == Decimal(value).scaleb(-2)


@pytest.mark.parametrize(
    ("text", "value"),
    [("5,5", "5.5"), ("5.5", "5.5"), ("5,5 %", "5.5"), ("5,5%", "5.5"), ("10", "10"), ("0", "0")],
)
def test_parses_percentages_as_people_write_them(text: str, value: str) -> None:
    assert parse_percent(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1e400", "R$ 5", "5,5 %%", "%", "5.555,5,5"])
def test_rejects_non_percentages_naming_the_text(text: str) -> None:
    with pytest.raises(MoneyParseError) as info:
        parse_percent(text)
    assert repr(text) in str(info.value)
    assert info.value.message_pt.startswith("percentual inválido")


def test_an_absurdly_long_amount_is_a_parse_error_not_an_overflow() -> None:
    """30 digits overflow the 28-digit decimal context when quantized: refused as text."""
    with pytest.raises(MoneyParseError):
        parse_money("9" * 30)
    assert parse_money("9" * 20).amount == Decimal("9" * 20)
