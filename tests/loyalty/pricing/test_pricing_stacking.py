"""Worked examples of the evaluation order and stacking, one per case, with expected cents."""

from __future__ import annotations

from decimal import Decimal

from loyalty.money import Money
from loyalty.pricing import VoucherApplication

from .pricing_helpers import by_rule, line, member, rule, run

TEN_OFF = rule("p10", "percent_off", percent="10")
TWO_OFF = rule("a2", "amount_off", amount="2.00")


def test_equal_priority_the_larger_discount_goes_first() -> None:
    """Unit 10.00; 10 % gives 1.00, R$ 2 gives 2.00: R$ 2 goes first and takes the unit."""
    assert by_rule(run([TEN_OFF, TWO_OFF], [line("A", 1, "10.00")])) == {"a2": 200}


def test_equal_priority_and_equal_discount_ties_go_to_the_rule_id() -> None:
    rules = [rule("zz", "amount_off", amount="1.00"), rule("aa", "percent_off", percent="10")]
    assert by_rule(run(rules, [line("A", 1, "10.00")])) == {"aa": 100}


def test_lower_priority_number_goes_first_even_if_smaller() -> None:
    rules = [{**TEN_OFF, "priority": 50}, TWO_OFF]
    assert by_rule(run(rules, [line("A", 1, "10.00")])) == {"p10": 100}


def test_stackable_applies_on_top_of_the_current_unit_price() -> None:
    """10.00 − 2.00 (a2, priority 100) = 8.00, then stackable 10 % (priority 200): −0.80."""
    rules = [TWO_OFF, {**TEN_OFF, "stackable": True, "priority": 200}]
    result = run(rules, [line("A", 2, "10.00")])
    assert by_rule(result) == {"a2": 400, "p10": 160}
    assert result.total_cents == 1440


def test_member_price_comes_first_and_promotions_apply_to_it() -> None:
    """Shelf 10.00 → club 8.00 (shown as −2.00) → 10 % of 8.00 = −0.80; net 7.20."""
    rules = [rule("club", "member_price", sku="A", price="8.00"), TEN_OFF]
    result = run(rules, [line("A", 1, "10.00")], member())
    assert [(e.id, e.amount_cents) for e in result.lines[0].discounts] == [
        ("club", 200),
        ("p10", 80),
    ]
    assert result.total_cents == 720


def test_take_pay_beats_a_smaller_percent_and_takes_its_units() -> None:
    """3 × 10.00: leve 3 pague 2 gives 10.00, 10 % gives 3.00: only the take-pay applies."""
    rules = [TEN_OFF, rule("l3p2", "take_pay", take=3, pay=2)]
    assert by_rule(run(rules, [line("A", 3, "10.00")])) == {"l3p2": 1000}


def test_units_left_out_of_a_deal_take_the_next_promotion() -> None:
    """4 × 10.00: one deal of 3 (one free), the fourth unit gets 10 % (priority 200): 11.00."""
    rules = [rule("l3p2", "take_pay", take=3, pay=2), {**TEN_OFF, "priority": 200}]
    assert by_rule(run(rules, [line("A", 4, "10.00")])) == {"l3p2": 1000, "p10": 100}


def test_only_the_best_non_stackable_basket_promotion_applies() -> None:
    """Subtotal 120.00: 10 % (12.00) vs R$ 15 from R$ 100 (15.00): only R$ 15."""
    rules = [
        rule("b10", "basket_percent_off", percent="10", min_subtotal="50"),
        rule("b15", "basket_amount_off", amount="15.00", min_subtotal="100"),
    ]
    assert by_rule(run(rules, [line("A", 1, "120.00")])) == {"b15": 1500}


def test_stackable_basket_promotions_add_on_what_is_left() -> None:
    """120.00 − 15.00 (best) = 105.00; stackable 5 % of 105.00 = 5.25; total 99.75."""
    rules = [
        rule("b10", "basket_percent_off", percent="10", min_subtotal="50"),
        rule("b15", "basket_amount_off", amount="15.00", min_subtotal="100"),
        rule("s5", "basket_percent_off", percent="5", stackable=True),
    ]
    result = run(rules, [line("A", 1, "120.00")])
    assert by_rule(result) == {"b15": 1500, "s5": 525}
    assert result.total_cents == 9975


def test_basket_threshold_is_after_item_promotions() -> None:
    """Gross 105.00, item promotion −10.00 → 95.00 < 100: the R$ 10 basket rule does not fire."""
    rules = [
        rule("a10", "amount_off", amount="10.00", applies_to={"skus": ["A"]}),
        rule("b10", "basket_amount_off", amount="10.00", min_subtotal="100"),
    ]
    assert by_rule(run(rules, [line("A", 1, "50.00"), line("B", 1, "55.00")])) == {"a10": 1000}


def test_coupon_rule_fires_only_when_its_code_is_presented() -> None:
    rules = [rule("c5", "basket_amount_off", amount="5.00", coupon="PROMO5")]
    basket = [line("A", 1, "20.00")]
    assert by_rule(run(rules, basket)) == {}
    assert by_rule(run(rules, basket, coupons=[" promo5 "])) == {"c5": 500}
    assert by_rule(run(rules, basket, member(coupons=["PROMO5"]))) == {"c5": 500}


def test_voucher_applies_after_basket_promotions_and_before_earning() -> None:
    """
    100.00 − 10 % basket (10.00) = 90.00 ≥ 90 (inclusive), voucher R$ 20 → 70.00: 70 points.
    A second voucher of 10 % applies to what is left: 7.00 → 63.00.
    """
    rules = [
        rule("b10", "basket_percent_off", percent="10"),
        rule("pts", "points", per_amount="1.00", points=1),
    ]
    v20 = VoucherApplication("v1", "ABC", "Vale R$ 20", None, Money("20.00"), Money("90.00"))
    v10 = VoucherApplication("v2", "DEF", "Vale 10%", Decimal("10"), None, Money("0"))
    result = run(
        rules, [line("A", 1, "60.00"), line("B", 1, "40.00")], member(), vouchers=[v20, v10]
    )
    assert by_rule(result) == {"b10": 1000, "v1": 2000, "v2": 700}
    assert result.total_cents == 6300
    assert result.rewards.points == 63
    assert [(o.voucher_id, o.applied, o.amount_cents) for o in result.vouchers] == [
        ("v1", True, 2000),
        ("v2", True, 700),
    ]


def test_voucher_below_its_minimum_does_not_apply() -> None:
    v = VoucherApplication("v1", "ABC", "Vale", None, Money("20.00"), Money("90.01"))
    result = run(
        [rule("b10", "basket_percent_off", percent="10")], [line("A", 1, "100.00")], vouchers=[v]
    )
    assert by_rule(result) == {"b10": 1000}
    assert result.vouchers[0].applied is False
    assert result.vouchers[0].reason == "min_subtotal"


def test_voucher_never_exceeds_what_is_left() -> None:
    v = VoucherApplication("v1", "ABC", "Vale", None, Money("50.00"), Money("0"))
    result = run([], [line("A", 1, "30.00")], vouchers=[v])
    assert (result.total_cents, by_rule(result)) == (0, {"v1": 3000})


def test_best_non_stackable_multiplier_per_line_and_stackable_ones_add() -> None:
    """Net 10.00 → 10 points; ×3 (best of ×2, ×3) adds 20; stackable ×1.5 adds 5: 35."""
    rules = [
        rule("pts", "points", per_amount="1.00", points=1),
        rule("x2", "points_multiplier", factor="2"),
        rule("x3", "points_multiplier", factor="3"),
        rule("x15", "points_multiplier", factor="1.5", stackable=True),
    ]
    rewards = run(rules, [line("A", 1, "10.00")], member()).rewards
    assert {d.rule: d.amount for d in rewards.details} == {"pts": 10, "x3": 20, "x15": 5}
    assert rewards.points == 35


def test_a_stackable_discount_does_not_free_a_unit_for_another_exclusive_promotion() -> None:
    """10.00 − 2.00 (a2) − 10 % stackable (0.80) = 7.20; the later 50 % finds the unit taken."""
    rules = [
        TWO_OFF,
        {**TEN_OFF, "stackable": True, "priority": 200},
        rule("half", "percent_off", percent="50", priority=300),
    ]
    result = run(rules, [line("A", 1, "10.00")])
    assert (by_rule(result), result.total_cents) == ({"a2": 200, "p10": 80}, 720)
