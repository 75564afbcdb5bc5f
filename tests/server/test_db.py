"""Column types: money is integer cents returned as Decimal, datetimes are aware UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from server.db import Cents, Thousandths, TZDateTime, new_session
from server.models import Product


@given(st.integers(-(10**15), 10**15))
def test_cents_round_trip_exactly(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    stored = Cents().process_bind_param(amount, None)
    assert stored == cents
    assert Cents().process_result_value(stored, None) == amount


@pytest.mark.parametrize(
    ("value", "error"), [(1.1, TypeError), (True, TypeError), (Decimal("0.001"), ValueError)]
)
def test_cents_refuse_floats_and_sub_cent_amounts(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Cents().process_bind_param(value, None)


def test_quantities_keep_grams() -> None:
    assert Thousandths().process_bind_param(Decimal("1.235"), None) == 1235
    with pytest.raises(ValueError, match="three decimal places"):
        Thousandths().process_bind_param(Decimal("0.0005"), None)


def test_datetimes_must_be_aware_and_come_back_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TZDateTime().process_bind_param(dt.datetime(2026, 1, 1), None)  # noqa: DTZ001
    sp = dt.timezone(dt.timedelta(hours=-3))
    stored = TZDateTime().process_bind_param(dt.datetime(2026, 1, 1, 21, 0, tzinfo=sp), None)
    assert stored == dt.datetime(2026, 1, 2, 0, 0)  # noqa: DTZ001
    assert TZDateTime().process_result_value(stored, None) == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def test_money_is_the_same_on_both_databases(app: Flask) -> None:
    with new_session(app) as s, s.begin():
        s.add(Product(sku="P1", name="Café", list_price=Decimal("12345678901.99"), active=True))
    with new_session(app) as s:
        price = s.get_one(Product, "P1").list_price
    assert price == Decimal("12345678901.99")
    assert isinstance(price, Decimal)
