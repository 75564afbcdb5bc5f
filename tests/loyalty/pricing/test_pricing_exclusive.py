"""Exclusive promotions: a rule flag that keeps every other promotion out of the sale.

The worked example is the one in ``docs/campaign-format.md`` (*Exclusive promotions*).
"""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.pricing import CampaignError, campaign_to_json, compile_rules, parse_campaign

from .pricing_helpers import by_rule, line, member, rule, run

CAFE = line("CAFE", 3, "20.00", category="mercearia")
ACUCAR = line("ACUCAR", 1, "5.00", category="mercearia")
EVERYDAY = [
    rule("cafe10", "percent_off", percent="10", applies_to={"skus": ["CAFE"]}),
    rule("cesta5", "basket_amount_off", amount="5.00", min_subtotal="50.00"),
    rule("extra2", "percent_off", percent="2", stackable=True, priority=200),
]


def exclusive(rule_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return rule(rule_id, kind, exclusive=True, **fields)


def test_the_best_option_for_the_shopper_wins() -> None:
    """
    Basket 3 × café 20,00 + 1 × açúcar 5,00 = 65,00.

    =====================================  ==============================================  =====
    option                                 promotions                                      total
    =====================================  ==============================================  =====
    without exclusive rules                café −6,00; 2 % −1,18; cesta −5,00              52,82
    ``black20`` alone (20 % basket)        −13,00                                          52,00
    ``cafe3x2`` alone (leve 3 pague 2)     −20,00                                          45,00
    =====================================  ==============================================  =====

    ``cafe3x2`` wins and nothing else applies, not even the stackable 2 %.
    """
    rules = [
        *EVERYDAY,
        exclusive("black20", "basket_percent_off", percent="20"),
        exclusive("cafe3x2", "take_pay", take=3, pay=2, applies_to={"skus": ["CAFE"]}),
    ]
    result = run(rules, [CAFE, ACUCAR])
    assert by_rule(result) == {"cafe3x2": 2000}
    assert result.total_cents == 4500
    assert [a.id for a in result.applied] == ["cafe3x2"]
    without_take_pay = run(rules[:-1], [CAFE, ACUCAR])
    assert by_rule(without_take_pay) == {"black20": 1300}


def test_the_everyday_promotions_win_when_they_give_more() -> None:
    """Exclusive 5 % of 65,00 = 3,25 < 12,18 of the everyday promotions: they apply."""
    rules = [*EVERYDAY, exclusive("black5", "basket_percent_off", percent="5")]
    result = run(rules, [CAFE, ACUCAR])
    assert set(by_rule(result)) == {"cafe10", "extra2", "cesta5"}
    assert result.total_cents == 5282


def test_ties_go_to_the_everyday_promotions_then_priority_then_id() -> None:
    """
    ===============================================  ===========================
    rules (basket 65,00)                             applies
    ===============================================  ===========================
    R$ 6,50 off (everyday) vs exclusive 10 %         everyday (tie: 6,50 each)
    exclusive 10 % prio 100 vs exclusive R$ 6,50 50  R$ 6,50 (lower priority)
    exclusive "b" 10 % vs exclusive "a" R$ 6,50      "a" (same priority: id)
    ===============================================  ===========================
    """
    basket = [CAFE, ACUCAR]
    everyday = rule("off650", "basket_amount_off", amount="6.50")
    ten = exclusive("ten", "basket_percent_off", percent="10")
    assert by_rule(run([everyday, ten], basket)) == {"off650": 650}
    cash = exclusive("cash", "basket_amount_off", amount="6.50", priority=50)
    assert by_rule(run([ten, cash], basket)) == {"cash": 650}
    b = exclusive("b", "basket_percent_off", percent="10")
    a = exclusive("a", "basket_amount_off", amount="6.50")
    assert by_rule(run([b, a], basket)) == {"a": 650}
    assert by_rule(run([a, b], basket)) == {"a": 650}


def test_an_exclusive_rule_that_does_not_qualify_leaves_the_sale_alone() -> None:
    """An exclusive rule below its threshold or outside its scope changes nothing."""
    rules = [
        *EVERYDAY,
        exclusive("big", "basket_amount_off", amount="30.00", min_subtotal="500.00"),
        exclusive("leite", "percent_off", percent="50", applies_to={"skus": ["LEITE"]}),
    ]
    assert run(rules, [CAFE, ACUCAR]).total_cents == 5282


def test_member_prices_and_earning_still_apply_beside_an_exclusive_promotion() -> None:
    """Club price 18,00 on café (54,00 + 5,00 = 59,00), exclusive 20 % → 47,20; 1 point/R$ 1."""
    rules = [
        rule("club", "member_price", sku="CAFE", price="18.00"),
        exclusive("black20", "basket_percent_off", percent="20"),
        rule("cafe10", "percent_off", percent="10", applies_to={"skus": ["CAFE"]}),
        rule("pts", "points", per_amount="1.00", points=1),
    ]
    result = run(rules, [CAFE, ACUCAR], member())
    assert by_rule(result) == {"club": 600, "black20": 1180}
    assert result.total_cents == 4720
    assert result.rewards.points == 47


def test_exclusive_is_exported_and_refused_where_meaningless() -> None:
    doc = {"rules": [exclusive("x", "basket_percent_off", percent="20")]}
    assert campaign_to_json(parse_campaign(doc))["rules"][0]["exclusive"] is True
    for bad in (
        exclusive("x", "percent_off", percent="5", stackable=True),
        exclusive("x", "points", per_amount="1.00", points=1),
        exclusive("x", "member_price", sku="A", price="1.00"),
        rule("x", "percent_off", percent="5", exclusive="yes"),
    ):
        with pytest.raises(CampaignError):
            compile_rules({"rules": [bad]})
