"""Server config: the tills' tender rules and the sale bounds the server checks pushes with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.bounds import DEFAULT_BOUNDS
from loyalty.money import Money
from server.config import DEFAULTS, ConfigError, sale_bounds, tender_limits


def test_the_defaults_are_the_agents_defaults() -> None:
    limits = tender_limits(DEFAULTS)
    assert limits.points.value_of(150) == Money("1.50")
    assert limits.max_redeem_per_sale == Money("50.00")


def test_an_empty_cap_checks_no_cap() -> None:
    assert tender_limits(DEFAULTS | {"MAX_REDEEM_PER_SALE_BRL": ""}).max_redeem_per_sale is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("MAX_REDEEM_PER_SALE_BRL", "1e400", "max_redeem_per_sale_brl"),
        ("MAX_REDEEM_PER_SALE_BRL", "12,50", "max_redeem_per_sale_brl"),
        ("POINTS_UNIT_VALUE_BRL", "-1", "points_unit_value_brl"),
        ("POINTS_PER_UNIT", 0, "points_per_unit"),
    ],
)
def test_a_bad_value_names_its_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tender_limits(DEFAULTS | {key: value})


def test_sale_bounds_default_to_the_core_defaults_and_take_the_agents_keys() -> None:
    assert sale_bounds(DEFAULTS) == DEFAULT_BOUNDS
    bounds = sale_bounds(DEFAULTS | {"LIMITS": {"max_unit_price_brl": "500.00", "max_lines": 3}})
    assert (bounds.unit_price, bounds.lines) == (Decimal("500.00"), 3)
    from_env = sale_bounds(DEFAULTS | {"LIMITS": '{"max_quantity": "10"}'})
    assert from_env.quantity == Decimal("10")


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_price": "1"}, "unknown limit 'max_price'"),
        ({"max_lines": 0}, "max_lines"),
        ({"max_unit_price_brl": "1e400"}, "max_unit_price_brl"),
        ("not json", "JSON object"),
        (["max_lines"], "expected a table"),
    ],
)
def test_bad_sale_bounds_name_what_is_wrong(limits: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sale_bounds(DEFAULTS | {"LIMITS": limits})
