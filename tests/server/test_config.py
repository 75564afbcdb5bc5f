"""Server config: the tills' tender rules and the sale bounds the server checks pushes with."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from loyalty.bounds import DEFAULT_BOUNDS
from loyalty.money import Money
from server.config import DEFAULTS, ConfigError, load_config, sale_bounds, tender_limits


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


def test_the_terminal_registration_keys_are_read_under_their_old_names_too(
    tmp_path: Path,
) -> None:
    """``enrolment_code_ttl_hours`` and ``ratelimit_enrol`` (before the terminal's side was
    called registration) still configure the new keys, from the file and the environment."""
    old = tmp_path / "old.toml"
    old.write_text('enrolment_code_ttl_hours = 5\nratelimit_enrol = "3/minute"\n')
    config = load_config(old, env={})
    assert (config["REGISTRATION_CODE_TTL_HOURS"], config["RATELIMIT_REGISTER"]) == (5, "3/minute")
    assert "ENROLMENT_CODE_TTL_HOURS" not in config
    env = {
        "TILLCLUB_SERVER_ENROLMENT_CODE_TTL_HOURS": "7",
        "TILLCLUB_SERVER_RATELIMIT_ENROL": "4/s",
    }
    config = load_config(None, env=env)
    assert (config["REGISTRATION_CODE_TTL_HOURS"], config["RATELIMIT_REGISTER"]) == (7, "4/s")
    new = tmp_path / "new.toml"
    new.write_text("registration_code_ttl_hours = 9\n")
    assert load_config(new, env={})["REGISTRATION_CODE_TTL_HOURS"] == 9
    (tmp_path / "typo.toml").write_text("enrolment_code_tll_hours = 1\n")
    with pytest.raises(ConfigError, match="unknown key 'enrolment_code_tll_hours'"):
        load_config(tmp_path / "typo.toml", env={})
