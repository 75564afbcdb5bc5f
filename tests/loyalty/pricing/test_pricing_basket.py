"""Basket, member and voucher inputs: parsing, and exact messages for bad values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import BasketError, BasketLine, VoucherApplication, parse_basket, parse_member


def basket_error(*lines: Any) -> str:
    with pytest.raises(BasketError) as err:
        parse_basket({"lines": list(lines)})
    return str(err.value)


OK = {"sku": "A", "qty": 1, "unit_price": "1.00"}
QTY = (
    "line 2: field 'qty': must be a number greater than 0 and at most 100000 with at most 3 "
    "decimals"
)
PRICE = "line 2: field 'unit_price': must be an amount of money ≥ 0 with at most 2 decimals"


def test_parses_lines_and_tells_weighed_from_counted() -> None:
    lines = parse_basket(
        {
            "lines": [
                {
                    "sku": "A",
                    "qty": 2,
                    "unit_price": "10.00",
                    "category": "c",
                    "brand": "b",
                    "tags": ["t"],
                },
                {"sku": "K", "qty": "1.235", "unit_price": "39.90"},
                {"sku": "W", "qty": 2, "unit_price": "5.00", "weighed": True},
            ]
        }
    )
    assert lines[0] == BasketLine("A", Decimal(2), Money("10.00"), "c", "b", frozenset({"t"}))
    assert [ln.is_weighed for ln in lines] == [False, True, True]
    assert [ln.qty_milli for ln in lines] == [2000, 1235, 2000]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"qty": 1, "unit_price": "1"}, "line 2: field 'sku': is required"),
        ({**OK, "sku": ""}, "line 2: field 'sku': must be a non-empty string, got \"\""),
        (
            {**OK, "qty": 0},
            QTY + ", got 0",
        ),
        (
            {**OK, "qty": "-1"},
            QTY + ", got -1",
        ),
        (
            {**OK, "qty": "1.2345"},
            QTY + ", got 1.2345",
        ),
        (
            {**OK, "qty": "dois"},
            "line 2: field 'qty': must be a number (write weighed quantities as strings), "
            'got "dois"',
        ),
        (
            {**OK, "qty": 1.5},
            "line 2: field 'qty': must be a number (write weighed quantities as strings), got 1.5",
        ),
        (
            {**OK, "qty": "1.5", "weighed": False},
            "line 2: field 'qty': must be a whole number for a line that is not weighed, got 1.5",
        ),
        (
            {**OK, "unit_price": "-0.01"},
            PRICE + ", got -0.01",
        ),
        (
            {**OK, "unit_price": "1.999"},
            PRICE + ", got 1.999",
        ),
        (
            {**OK, "unit_price": None},
            PRICE + ", got null",
        ),
        # Too large to hold cents at Decimal's 28 digits: refused, not a crash.
        (
            {**OK, "unit_price": "1E+30"},
            PRICE + ", got 1E+30",
        ),
        (
            {**OK, "qty": "100000.001"},
            QTY + ", got 100000.001",
        ),
        (
            {**OK, "qty": "Infinity"},
            "line 2: field 'qty': must be a number (write weighed quantities as strings), "
            'got "Infinity"',
        ),
        (
            {**OK, "tags": "promo"},
            "line 2: field 'tags': must be a list of non-empty strings, got \"promo\"",
        ),
        (
            {**OK, "colour": "red"},
            "line 2: field 'colour': unknown field; expected one of brand, category, qty, sku, "
            "tags, "
            "unit_price, weighed",
        ),
        ("A", "line 2: field 'line': must be an object, got \"A\""),
    ],
)
def test_bad_lines_name_the_line_and_field(bad: Any, message: str) -> None:
    assert basket_error(OK, bad) == message


def test_bad_basket_document() -> None:
    with pytest.raises(BasketError) as err:
        parse_basket({"items": []})
    assert str(err.value) == "basket: field 'items': unknown field; expected one of lines"
    with pytest.raises(BasketError) as err:
        parse_basket({"lines": {}})
    assert str(err.value) == "basket: field 'lines': must be a list, got {}"


def test_portuguese_line_message() -> None:
    with pytest.raises(BasketError) as err:
        parse_basket({"lines": [{**OK, "unit_price": "-1"}]})
    assert err.value.message("pt-BR") == (
        "linha 1: campo 'unit_price': deve ser um valor em dinheiro ≥ 0 com no máximo 2 casas "
        "decimais, recebido -1"
    )


def test_a_line_built_in_code_is_checked_too() -> None:
    with pytest.raises(BasketError) as err:
        BasketLine("A", Decimal("-3"), Money("1.00"))
    assert str(err.value).startswith("line: field 'qty': must be a number greater than 0")


def test_member_file() -> None:
    member = parse_member(
        {
            "id": "m1",
            "tier": "gold",
            "segments": ["app"],
            "activated_offers": ["o1"],
            "coupons": [" promo5 "],
        }
    )
    assert (member.id, member.tier, member.coupons) == ("m1", "gold", frozenset({"PROMO5"}))
    with pytest.raises(BasketError) as err:
        parse_member({"id": "m1", "coupons": "PROMO5"})
    assert (
        str(err.value)
        == "member: field 'coupons': must be a list of non-empty strings, got \"PROMO5\""
    )


@pytest.mark.parametrize(
    ("percent", "amount", "message"),
    [
        (
            None,
            None,
            "voucher 'v1': field 'percent': exactly one of 'percent' and 'amount' must be set",
        ),
        (
            Decimal(10),
            Money(5),
            "voucher 'v1': field 'percent': exactly one of 'percent' and 'amount' must be set",
        ),
        (
            Decimal(101),
            None,
            "voucher 'v1': field 'percent': must be a number between 0 and 100, got 101",
        ),
        (None, Money(-5), "voucher 'v1': field 'amount': must be an amount of money ≥ 0, got -5"),
    ],
)
def test_voucher_application_is_checked(
    percent: Decimal | None, amount: Money | None, message: str
) -> None:
    with pytest.raises(BasketError) as err:
        VoucherApplication("v1", "CODE", "Vale", percent, amount, Money(0))
    assert str(err.value) == message


def _exact_places(d: Decimal) -> int:
    """Decimal places of ``d`` written without trailing zeros (the rule, stated slowly)."""
    text = f"{d:f}"
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


@given(
    qty=st.decimals(min_value=Decimal("-1"), max_value=Decimal("100001"), places=5),
    price=st.decimals(min_value=Decimal("-1"), max_value=Decimal("10") ** 12, places=4),
)
def test_line_checks_agree_with_the_rule_as_written(qty: Decimal, price: Decimal) -> None:
    """The till's fast checks (quantize-and-compare) accept exactly what the rule allows."""
    qty_ok = Decimal(0) < qty <= Decimal(100_000) and _exact_places(qty) <= 3
    price_ok = price >= 0 and _exact_places(price) <= 2
    if qty_ok and price_ok:
        line = BasketLine("A", qty, Money(price), weighed=True)
        assert line.qty_milli == int(qty * 1000)
        assert line.price_cents == Money(price).cents
    else:
        with pytest.raises(BasketError) as err:
            BasketLine("A", qty, Money(price), weighed=True)
        assert err.value.field == ("qty" if not qty_ok else "unit_price")
