"""When, where and for whom a rule fires: windows in the store's zone, audiences, activation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loyalty.pricing import PricingError, compile_rules, price

from .pricing_helpers import AT, by_rule, line, member, rule, run

BASKET = [line("A", 1, "10.00")]


def off(**fields: object) -> list[dict[str, object]]:
    return [rule("r", "amount_off", amount="1.00", **fields)]


def fires(rules: list[dict[str, object]], **kw: object) -> bool:
    return by_rule(run(rules, BASKET, **kw)) == {"r": 100}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("valid", "expected"),
    [
        ({"from": "2026-03-04"}, True),
        ({"from": "2026-03-05"}, False),
        ({"until": "2026-03-04"}, True),  # a date-only until runs through that day
        ({"until": "2026-03-03"}, False),
        ({"from": "2026-03-04T10:00"}, True),  # from is inclusive
        ({"until": "2026-03-04T10:00"}, False),  # until is exclusive
        ({"until": "2026-03-04T13:00:00+00:00"}, False),  # with an offset: an instant
        ({"weekdays": [3]}, True),  # Wednesday
        ({"weekdays": [1, 2, 4, 5, 6, 7]}, False),
        ({"hours": ["08:00", "12:00"]}, True),
        ({"hours": ["10:01", "12:00"]}, False),
        ({"hours": ["08:00", "10:00"]}, False),  # the end is exclusive
        ({"hours": ["22:00", "10:01"]}, True),  # wraps past midnight
        ({"hours": ["22:00", "10:00"]}, False),
        ({"hours": ["10:00", "24:00"]}, True),
    ],
)
def test_valid_window_in_store_local_time(valid: dict[str, object], expected: bool) -> None:
    """The sale is at 13:00 UTC, Wednesday 10:00 in São Paulo."""
    assert fires(off(valid=valid)) is expected


def test_store_time_zone_decides_the_hour() -> None:
    """13:30 UTC is 10:30 in São Paulo but 09:30 in Manaus: a 10:00–12:00 rule fires only in SP."""
    rules = off(valid={"hours": ["10:00", "12:00"]})
    at = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
    zones = {"store_timezones": {"mao": "America/Manaus"}}
    assert fires(rules, store="sp", at=at, **zones)
    assert not fires(rules, store="mao", at=at, **zones)


def test_store_list_limits_a_rule() -> None:
    rules = off(valid={"stores": ["s1"]})
    assert fires(rules, store="s1")
    assert not fires(rules, store="s2")
    assert not fires(rules, store=None)
    assert fires(off(), store="s2")


@pytest.mark.parametrize(
    ("audience", "who", "expected"),
    [
        ({"members_only": True}, None, False),
        ({"members_only": True}, member(), True),
        ({"tiers": ["gold"]}, member(tier="gold"), True),
        ({"tiers": ["gold"]}, member(tier="silver"), False),
        ({"tiers": ["gold"]}, None, False),
        ({"segments": ["app", "vip"]}, member(segments=["vip"]), True),
        ({"segments": ["app"]}, member(segments=["web"]), False),
        ({"member_ids": ["m1"]}, member("m1"), True),
        ({"member_ids": ["m1"]}, member("m2"), False),
    ],
)
def test_audience(audience: dict[str, object], who: object, expected: bool) -> None:
    assert fires(off(audience=audience), who=who) is expected


def test_personalised_offer_needs_activation() -> None:
    rules = off(requires_activation=True)
    assert not fires(rules, who=member())
    assert not fires(rules, who=None)
    assert fires(rules, who=member(activated_offers=["r"]))


def test_max_units_per_sale_goes_to_the_dearest_units() -> None:
    """Cap 2 units of 10 % on 10.00, 20.00, 30.00: the 30.00 and 20.00 units: 5.00."""
    rules = [rule("r", "percent_off", percent="10", max_units_per_sale=2)]
    basket = [line("A", 1, "10.00"), line("B", 1, "30.00"), line("C", 1, "20.00")]
    assert [ln.gross_cents - ln.net_cents for ln in run(rules, basket).lines] == [0, 300, 200]


def test_sale_time_must_carry_a_time_zone() -> None:
    ruleset = compile_rules({"rules": []})
    naive = AT.replace(tzinfo=None)
    with pytest.raises(PricingError) as err:
        price(ruleset, BASKET, None, None, naive)
    assert str(err.value) == (
        "sale time: field 'at': must be a date-time with a time zone, got 2026-03-04T13:00:00"
    )


def test_a_chain_index_sees_only_its_store_and_the_basket_skus() -> None:
    ruleset = compile_rules(
        {
            "rules": [
                rule(
                    "s1",
                    "percent_off",
                    percent="5",
                    applies_to={"skus": ["A"]},
                    valid={"stores": ["1"]},
                ),
                rule(
                    "s2",
                    "percent_off",
                    percent="5",
                    applies_to={"skus": ["A"]},
                    valid={"stores": ["2"]},
                ),
                rule("all", "percent_off", percent="5", applies_to={"brands": ["x"]}),
                rule("every", "basket_percent_off", percent="5"),
            ]
        }
    )
    idx = ruleset.index_for("1")
    assert [r.id for r in idx.by_sku["A"]] == ["s1"]
    assert [r.id for r in idx.by_brand["x"]] == ["all"]
    assert [r.id for r in idx.everywhere] == ["every"]
    assert "A" not in ruleset.index_for(None).by_sku
