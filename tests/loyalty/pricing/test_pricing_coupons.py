"""Coupon codes presented at the till: the rules they fire, and the explanation of each code."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty.pricing import CouponOutcome, result_to_json

from .pricing_helpers import by_rule, line, member, rule, run

ACUCAR20 = rule(
    "acucar20", "percent_off", percent="20", coupon="acucar20", applies_to={"skus": ["ACUCAR"]}
)
BASKET = [line("ACUCAR", 2, "5.00"), line("CAFE", 1, "20.00")]


def test_a_presented_coupon_fires_its_rule_and_is_explained() -> None:
    """20 % of 2 × 5,00 = 2,00, only with the code (case and spaces do not matter)."""
    assert by_rule(run([ACUCAR20], BASKET)) == {}
    result = run([ACUCAR20], BASKET, coupons=[" Acucar20 "])
    assert by_rule(result) == {"acucar20": 200}
    assert result.coupons == (CouponOutcome("ACUCAR20", ("acucar20",), 200),)
    assert result_to_json(result)["coupons"] == [
        {"code": "ACUCAR20", "applied": True, "rules": ["acucar20"], "amount": "2.00",
         "reason": None}
    ]  # fmt: skip


def test_each_code_that_fires_nothing_says_why() -> None:
    """
    ==================  =====================================  =====================
    code                rule                                   reason
    ==================  =====================================  =====================
    NOPE                none carries it                        unknown
    VERAO               valid until 2026-01-31 (sale: March)   not_live
    CAFE5               members only, anonymous sale           not_live
    LEITE10             live, but no milk in the basket        nothing_to_discount
    ==================  =====================================  =====================
    """
    rules = [
        ACUCAR20,
        rule("verao", "percent_off", percent="5", coupon="VERAO", valid={"until": "2026-01-31"}),
        rule(
            "cafe5", "amount_off", amount="5.00", coupon="CAFE5", audience={"members_only": True}
        ),  # fmt: skip
        rule(
            "leite10", "percent_off", percent="10", coupon="LEITE10", applies_to={"skus": ["LEITE"]}
        ),  # fmt: skip
    ]
    result = run(rules, BASKET, coupons=["nope", "verao", "cafe5", "leite10"])
    assert by_rule(result) == {}
    assert {c.code: c.reason for c in result.coupons} == {
        "NOPE": "unknown",
        "VERAO": "not_live",
        "CAFE5": "not_live",
        "LEITE10": "nothing_to_discount",
    }
    with_member = run(rules, BASKET, member(), coupons=["cafe5"])
    assert with_member.coupons[0].applied
    assert by_rule(with_member) == {"cafe5": 1500}


def test_a_coupon_of_another_store_is_not_live_here() -> None:
    only_rj = {**ACUCAR20, "valid": {"stores": ["rj-01"]}}
    at = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    assert run([only_rj], BASKET, store="sp-01", at=at, coupons=["ACUCAR20"]).coupons == (
        CouponOutcome("ACUCAR20", (), 0, "not_live"),
    )
    assert run([only_rj], BASKET, store="rj-01", at=at, coupons=["ACUCAR20"]).coupons[0].applied


def test_member_coupons_count_as_presented() -> None:
    result = run([ACUCAR20], BASKET, member(coupons=["ACUCAR20"]))
    assert by_rule(result) == {"acucar20": 200}
    assert result.coupons[0].rules == ("acucar20",)


def test_no_coupon_no_explanation() -> None:
    assert run([ACUCAR20], BASKET).coupons == ()
