"""Server config: the tills' tender rules the server re-checks pushed sales with."""

from __future__ import annotations

import pytest

from loyalty.money import Money
from server.config import DEFAULTS, ConfigError, tender_limits


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
