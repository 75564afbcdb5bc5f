"""Invalid campaign files are rejected with exact messages naming the rule and the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from loyalty.money import Money
from loyalty.pricing import CampaignError, RuleKind, compile_rules
from loyalty.pricing.rules import PercentOff, Selector

from .pricing_helpers import rule


def error(doc: Any) -> CampaignError:
    with pytest.raises(CampaignError) as err:
        compile_rules(doc)
    return err.value


def bad_rule(**fields: Any) -> CampaignError:
    base = {"id": "r7", "kind": "percent_off", "name": "Promo", "percent": "10"}
    return error({"rules": [{**base, **fields}]})


def test_percent_out_of_range_in_english_and_portuguese() -> None:
    err = bad_rule(percent="150")
    assert str(err) == "rule 'r7': field 'percent': must be a number between 0 and 100, got \"150\""
    assert err.message("pt-BR") == (
        "regra 'r7': campo 'percent': deve ser um número entre 0 e 100, recebido \"150\""
    )
    assert (err.where, err.field, err.code) == ("rule 'r7'", "percent", "campaign_invalid")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"percent": 150},
            "rule 'r7': field 'percent': must be a number between 0 and 100, got 150",
        ),
        (
            {"percent": "dez"},
            "rule 'r7': field 'percent': must be a number between 0 and 100, got \"dez\"",
        ),
        (
            {"percent": True},
            "rule 'r7': field 'percent': must be a number between 0 and 100, got true",
        ),
        (
            {"kind": "percent_of"},
            "rule 'r7': field 'kind': unknown kind \"percent_of\"; expected one of member_price, "
            "percent_off, amount_off, take_pay, buy_get, quantity_price, bundle_price, "
            "basket_amount_off, basket_percent_off, points, points_multiplier, points_bonus, "
            "cashback, raffle",
        ),
        ({"pecent": "10"}, "rule 'r7': field 'pecent': unknown field for kind percent_off"),
        ({"name": " "}, "rule 'r7': field 'name': must be a non-empty string, got \" \""),
        ({"priority": "1"}, "rule 'r7': field 'priority': must be a whole number, got \"1\""),
        ({"stackable": "yes"}, "rule 'r7': field 'stackable': must be true or false, got \"yes\""),
        (
            {"max_units_per_sale": 0},
            "rule 'r7': field 'max_units_per_sale': must be a whole number ≥ 1, got 0",
        ),
        (
            {"applies_to": {}},
            "rule 'r7': field 'applies_to': must name at least one sku, category, brand or tag "
            "(leave it out to mean every line)",
        ),
        (
            {"applies_to": {"sku": ["A"]}},
            "rule 'r7': field 'applies_to.sku': unknown field; expected one of brands, "
            "categories, skus, tags",
        ),
        (
            {"exclude": {"skus": "A"}},
            "rule 'r7': field 'exclude.skus': must be a list of non-empty strings, got \"A\"",
        ),
        (
            {"audience": {"tiers": "gold"}},
            "rule 'r7': field 'audience.tiers': must be a list of non-empty strings, got \"gold\"",
        ),
        (
            {"valid": {"from": "01/03/2026"}},
            "rule 'r7': field 'valid.from': must be an ISO-8601 date or local date-time "
            '(2026-03-01, 2026-03-01T08:00), got "01/03/2026"',
        ),
        (
            {"valid": {"from": "2026-03-02", "until": "2026-03-01"}},
            "rule 'r7': field 'valid.until': must be after 'valid.from' (2026-03-02), "
            'got "2026-03-01"',
        ),
        (
            {"valid": {"weekdays": [0, 8]}},
            "rule 'r7': field 'valid.weekdays': must be a list of weekdays from 1 (Monday) to "
            "7 (Sunday), got [0, 8]",
        ),
        (
            {"valid": {"hours": ["8:00", "12:00"]}},
            "rule 'r7': field 'valid.hours': must be [\"HH:MM\", \"HH:MM\"] (start inclusive, "
            'end exclusive), got ["8:00", "12:00"]',
        ),
        ({"coupon": ""}, "rule 'r7': field 'coupon': must be a non-empty string, got \"\""),
    ],
)
def test_exact_messages_for_common_fields(fields: dict[str, Any], message: str) -> None:
    assert str(bad_rule(**fields)) == message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            rule("m", "member_price", sku="A", price="-1"),
            "rule 'm': field 'price': must be an amount of money ≥ 0 with at most 2 decimals, "
            'got "-1"',
        ),
        (
            rule("m", "member_price", sku="A", price="1.999"),
            "rule 'm': field 'price': must be an amount of money ≥ 0 with at most 2 decimals, "
            'got "1.999"',
        ),
        (
            rule("m", "member_price", price="1"),
            "rule 'm': field 'sku': is required",
        ),
        (
            rule("m", "member_price", sku="A", price="1", applies_to={"skus": ["A"]}),
            "rule 'm': field 'applies_to': is not allowed for kind member_price",
        ),
        (
            rule("a", "amount_off", amount="0"),
            "rule 'a': field 'amount': must be an amount of money greater than 0 with at most "
            '2 decimals, got "0"',
        ),
        (
            rule("t", "take_pay", take=3, pay=3),
            "rule 't': field 'pay': must be less than 'take' (3), got 3",
        ),
        (
            rule("t", "take_pay", take=1, pay=0),
            "rule 't': field 'take': must be a whole number ≥ 2, got 1",
        ),
        (
            rule(
                "b",
                "buy_get",
                buy={"applies_to": {"skus": ["A"]}, "qty": 2},
                get={"qty": 1, "percent": 50},
            ),
            "rule 'b': field 'get.applies_to': is required",
        ),
        (
            rule(
                "b",
                "buy_get",
                buy={"applies_to": {"skus": ["A"]}, "qty": 0},
                get={"applies_to": {"skus": ["A"]}, "qty": 1, "percent": 50},
            ),
            "rule 'b': field 'buy.qty': must be a whole number ≥ 1, got 0",
        ),
        (
            rule(
                "q",
                "quantity_price",
                tiers=[{"min_qty": 6, "unit_price": "1.79"}, {"min_qty": 6, "unit_price": "1.5"}],
            ),
            "rule 'q': field 'tiers[1].min_qty': repeats an earlier tier's min_qty, got 6",
        ),
        (
            rule("q", "quantity_price", tiers=[]),
            "rule 'q': field 'tiers': must be a non-empty list of {min_qty, unit_price}, got []",
        ),
        (
            rule(
                "c",
                "bundle_price",
                components=[{"applies_to": {"skus": ["A"]}, "qty": 1}],
                price="5",
            ),
            "rule 'c': field 'components': must add up to at least 2 units",
        ),
        (
            rule("p", "points", per_amount="1.00", points=1, priority=5),
            "rule 'p': field 'priority': is not allowed for kind points",
        ),
        (
            rule("x", "points_multiplier", factor="0.5"),
            "rule 'x': field 'factor': must be a number from 1 to 100, got \"0.5\"",
        ),
        (rule("f", "raffle", per_amount="100"), "rule 'f': field 'campaign': is required"),
    ],
)
def test_exact_messages_for_kind_fields(raw: dict[str, Any], message: str) -> None:
    assert str(error({"rules": [raw]})) == message


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "campaign file: field 'rules': must be an object {\"rules\": [...]}"),
        ({}, "campaign file: field 'rules': is required"),
        ({"rules": {}}, "campaign file: field 'rules': must be a list, got {}"),
        (
            {"rules": [], "zone": "x"},
            "campaign file: field 'zone': unknown field; expected one of "
            "$schema, description, rules, store_timezones, timezone",
        ),  # fmt: skip
        (
            {"rules": [], "timezone": "Mars/Olympus"},
            "campaign file: field 'timezone': unknown time zone \"Mars/Olympus\"",
        ),
        ({"rules": [1]}, "rule #1: must be an object, got 1"),
        ({"rules": [{"kind": "points"}]}, "rule #1: field 'id': is required"),
        (
            {"rules": [rule("a", "cashback", percent=1), {"id": ""}]},
            "rule #2: field 'id': must be a non-empty string, got \"\"",
        ),
        (
            {"rules": [rule("a", "cashback", percent=1)] * 2},
            "rule 'a': field 'id': duplicate rule id",
        ),
    ],
)
def test_exact_messages_for_the_file(doc: Any, message: str) -> None:
    assert str(error(doc)) == message


def test_portuguese_messages_name_the_same_place() -> None:
    err = error({"rules": [rule("t", "take_pay", take=3, pay=3)]})
    assert (
        err.message("pt-BR") == "regra 't': campo 'pay': deve ser menor que 'take' (3), recebido 3"
    )
    err = error({"rules": [{"kind": "points"}]})
    assert err.message("pt") == "regra nº 1: campo 'id': é obrigatório"


def test_a_valid_rule_is_parsed_into_frozen_values() -> None:
    ruleset = compile_rules(
        {
            "rules": [
                rule(
                    "r",
                    "percent_off",
                    percent=Decimal("12.5"),
                    applies_to={"brands": ["X"]},
                    coupon="abc",
                )
            ]
        }
    )
    (parsed,) = ruleset.rules
    assert parsed.kind is RuleKind.PERCENT_OFF
    assert parsed.params == PercentOff(Decimal("12.5"))
    assert parsed.applies_to == Selector(brands=frozenset({"X"}))
    assert (parsed.priority, parsed.stackable, parsed.coupon) == (100, False, "ABC")
    with pytest.raises(AttributeError):
        parsed.priority = 1  # type: ignore[misc]


def test_floats_are_read_as_written_not_as_binary() -> None:
    """A campaign decoded without parse_float=Decimal still gets 0.10, not 0.1000000000000000055."""
    ruleset = compile_rules({"rules": [rule("m", "member_price", sku="A", price=0.1)]})
    assert ruleset.rules[0].params.price == Money("0.10")  # type: ignore[union-attr]


@pytest.mark.parametrize("amount", ["1e400", "1E+30", "10000000.01", 10**40])
@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "amount_off", "amount": "{a}"},
        {"kind": "member_price", "sku": "A", "price": "{a}"},
        {"kind": "basket_amount_off", "amount": "5", "min_subtotal": "{a}"},
        {"kind": "points", "per_amount": "{a}", "points": 1},
        {"kind": "quantity_price", "tiers": [{"min_qty": 2, "unit_price": "{a}"}]},
    ],
    ids=lambda r: r["kind"] if isinstance(r, dict) else None,
)
def test_money_beyond_the_form_bound_is_a_campaign_error(raw: dict[str, Any], amount: Any) -> None:
    """``1e400`` used to escape as ``decimal.InvalidOperation`` (a raw 500 at the server)."""
    import json

    text = json.dumps(raw).replace('"{a}"', json.dumps(amount))
    doc = {"rules": [{"id": "r", "name": "R", **json.loads(text)}]}
    with pytest.raises(CampaignError) as info:
        compile_rules(doc)
    assert "at most 10000000.00" in info.value.message_en
    assert "no máximo 10000000.00" in info.value.message_pt
