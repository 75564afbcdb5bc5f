"""Worked examples, one per rule kind, with the expected cents (tables in the docstrings)."""

from __future__ import annotations

from .pricing_helpers import by_rule, line, member, nets, rule, run


def test_member_price_takes_the_lowest_applicable_price() -> None:
    """
    ===========  =======  =========================  ========
    rule         price    audience                   applies
    ===========  =======  =========================  ========
    club         8.00     members_only               yes
    gold         7.50     tiers [gold]               yes
    personal     7.00     member_ids [m1]            yes
    shelf        10.00                               3 units
    ===========  =======  =========================  ========

    The unit price becomes 7.00: a discount of 3 × 3.00 = 9.00, attributed to ``personal``.
    """
    rules = [
        rule("club", "member_price", sku="A", price="8.00", audience={"members_only": True}),
        rule("gold", "member_price", sku="A", price="7.50", audience={"tiers": ["gold"]}),
        rule("personal", "member_price", sku="A", price="7.00", audience={"member_ids": ["m1"]}),
    ]
    basket = [line("A", 3, "10.00")]
    assert by_rule(run(rules, basket, member("m1", tier="gold"))) == {"personal": 900}
    assert by_rule(run(rules, basket, member("m2", tier="gold"))) == {"gold": 750}
    assert by_rule(run(rules, basket, member("m2", tier="silver"))) == {"club": 600}
    assert by_rule(run(rules, basket, None)) == {}


def test_member_price_never_raises_the_shelf_price() -> None:
    rules = [rule("club", "member_price", sku="A", price="12.00")]
    result = run(rules, [line("A", 2, "10.00")], member())
    assert (result.total_cents, by_rule(result)) == (2000, {})


def test_member_price_cap_and_weighed_line() -> None:
    """
    Cap 2 units at 8.00 on 3 × 10.00: 2 × 2.00 = 4.00. Weighed: 1.235 kg at 39.90/kg is
    49.2765 → 49.28 gross; at 30.00/kg 37.05, so the club price shows as −12.23.
    """
    rules = [
        rule("club", "member_price", sku="A", price="8.00", max_units_per_sale=2),
        rule("kg", "member_price", sku="K", price="30.00"),
    ]
    result = run(rules, [line("A", 3, "10.00"), line("K", "1.235", "39.90")], member())
    assert by_rule(result) == {"club": 400, "kg": 1223}
    assert [ln.gross_cents for ln in result.lines] == [3000, 4928]


def test_percent_off_is_computed_on_the_line_not_per_unit() -> None:
    """
    The percentage is taken of what the rule covers (the line's amount) and rounded once,
    half-up, as engines that discount the line total do (Saleor's line discounts; Odoo rounds
    the discounted line, 38,58 × 0,67 × 8 = 206,7888 → 206,79, the same net here); the new
    amount is spread back over the units by largest remainder, so every unit stays in whole
    cents. 14,99 for 15 % of 99,90 is the figure the issue quotes from other engines.

    ======================  =============================  ========  =======
    line                    percent of the line amount     discount  net
    ======================  =============================  ========  =======
    8 × 38.58 = 308.64      33 % = 101.8512 → 101.85       101.85    206.79
    10 × 9.99 = 99.90       15 % = 14.985 → 14.99          14.99     84.91
    3 × 3.33 = 9.99         10 % = 0.999 → 1.00            1.00      8.99
    1.235 kg × 7.98 = 9.86  10 % = 0.986 → 0.99            0.99      8.87
    120 × 2.99 = 358.80     12.5 % = 44.85                 44.85     313.95
    ======================  =============================  ========  =======

    Rounding per unit (the old rule) gave 206.80, a discount of 15.00, 0.99, 0.99 and
    120 × 0.37 = 44.40 (off by 45 cents at atacarejo quantities).
    """
    cases = [
        ("33", line("A", 8, "38.58"), 10185),
        ("15", line("A", 10, "9.99"), 1499),
        ("10", line("A", 3, "3.33"), 100),
        ("10", line("K", "1.235", "7.98"), 99),
        ("12.5", line("A", 120, "2.99"), 4485),
    ]
    for percent, basket_line, off in cases:
        result = run([rule("p", "percent_off", percent=percent)], [basket_line])
        assert result.lines[0].gross_cents - result.lines[0].net_cents == off, percent
    result = run([rule("p", "percent_off", percent="33")], [line("A", 8, "38.58")])
    assert result.total_cents == 20679


def test_percent_off_pools_identical_lines_so_a_split_changes_nothing() -> None:
    """
    ==========================  ===============================  ========
    basket                      15 % of the group                discount
    ==========================  ===============================  ========
    1 line of 10 × 9.99         of 99.90 = 14.985 → 14.99        14.99
    10 lines of 1 × 9.99        of 99.90 (one group) → 14.99     14.99
    4 + 6 × 9.99                of 99.90 → 14.99                 14.99
    ==========================  ===============================  ========

    Identical lines (same sku, category, brand, tags and price) form one group; the group's
    discount is split over its lines by largest remainder (each line's net in whole cents).
    """
    rules = [rule("p15", "percent_off", percent="15")]
    for basket in (
        [line("A", 10, "9.99")],
        [line("A", 1, "9.99") for _ in range(10)],
        [line("A", 4, "9.99"), line("B", 1, "1.00"), line("A", 6, "9.99")],
    ):
        result = run(rules, basket)
        a_lines = [ln for ln in result.lines if ln.sku == "A"]
        assert sum(ln.gross_cents - ln.net_cents for ln in a_lines) == 1499
        assert sum(ln.net_cents for ln in a_lines) == 8491


def test_buy_get_percent_is_computed_on_the_get_units_together() -> None:
    """
    Buy 1 get 1 at 33 % off, 4 × 38.58: two get units, 33 % of 77.16 = 25.4628 → 25.46
    (per unit it was 2 × 12.73 = 25.46 too); 3 get units of 9.99 at 15 %: 15 % of 29.97 =
    4.4955 → 4.50 (per unit 3 × 1.50 = 4.50); 5 get units of 9.99 at 15 %: 7.4925 → 7.49
    where per unit gave 7.50.
    """
    get = {"applies_to": {"skus": ["A"]}, "qty": 1, "percent": "15"}
    rules = [rule("bg", "buy_get", buy={"applies_to": {"skus": ["A"]}, "qty": 1}, get=get)]
    assert by_rule(run(rules, [line("A", 10, "9.99")])) == {"bg": 749}
    assert by_rule(run(rules, [line("A", 6, "9.99")])) == {"bg": 450}


def test_amount_off_is_per_unit_and_never_below_zero() -> None:
    """1.00 off 4 × 3.49 = 4.00; 5.00 off 1 × 3.49 = 3.49 (not 5.00); 1.00/kg × 1.235 kg = 1.24."""
    one = [rule("r1", "amount_off", amount="1.00")]
    assert by_rule(run(one, [line("A", 4, "3.49")])) == {"r1": 400}
    five = [rule("r5", "amount_off", amount="5.00")]
    result = run(five, [line("A", 1, "3.49")])
    assert (by_rule(result), result.total_cents) == ({"r5": 349}, 0)
    assert by_rule(run(one, [line("K", "1.235", "7.98")])) == {"r1": 124}


def test_take_pay_frees_the_cheapest_units_pooled_across_lines() -> None:
    """The issue's example: 3 × R$ 10 + 3 × R$ 5, "leve 3 pague 2": two R$ 5 units are free."""
    rules = [rule("l3p2", "take_pay", take=3, pay=2, applies_to={"categories": ["bev"]})]
    basket = [line("B", 3, "10.00", "bev"), line("C", 3, "5.00", "bev")]
    result = run(rules, basket)
    assert nets(result) == [3000, 500]
    assert by_rule(result) == {"l3p2": 1000}


def test_take_pay_with_a_unit_left_over() -> None:
    """7 units: floor(7/3) = 2 deals, 2 free units (the cheapest: 1.00 and 2.00)."""
    rules = [rule("l3p2", "take_pay", take=3, pay=2)]
    basket = [line("A", 5, "4.00"), line("B", 1, "1.00"), line("C", 1, "2.00")]
    assert by_rule(run(rules, basket)) == {"l3p2": 300}


def test_buy_get_gives_the_cheapest_get_units_not_counted_as_bought() -> None:
    """
    Buy 2 of A (10.00), get 1 of B 50 % off; 4 A and 3 B: 2 deals, 2 B at 3.00 off = 6.00.
    One set, buy 2 get 1 free, units 10, 10, 10, 5, 5, 5: buys 10, 10, 10, 5; gets 5, 5 = 10.00.
    """
    two_one = [
        rule(
            "bg",
            "buy_get",
            buy={"applies_to": {"skus": ["A"]}, "qty": 2},
            get={"applies_to": {"skus": ["B"]}, "qty": 1, "percent": 50},
        )
    ]
    assert by_rule(run(two_one, [line("A", 4, "10.00"), line("B", 3, "6.00")])) == {"bg": 600}
    same_set = [
        rule(
            "bg",
            "buy_get",
            buy={"applies_to": {"categories": ["x"]}, "qty": 2},
            get={"applies_to": {"categories": ["x"]}, "qty": 1, "percent": 100},
        )
    ]
    basket = [line("A", 3, "10.00", "x"), line("C", 3, "5.00", "x")]
    assert by_rule(run(same_set, basket)) == {"bg": 1000}


def test_buy_get_uses_buy_only_units_as_bought_first() -> None:
    """Buy set {A}, get set {A, B}: A (1.00) is bought, so B (10.00) is the get unit: 10.00."""
    rules = [
        rule(
            "bg",
            "buy_get",
            buy={"applies_to": {"skus": ["A"]}, "qty": 1},
            get={"applies_to": {"skus": ["A", "B"]}, "qty": 1, "percent": 100},
        )
    ]
    assert by_rule(run(rules, [line("A", 1, "1.00"), line("B", 1, "10.00")])) == {"bg": 1000}


def test_quantity_price_counts_the_sku_over_all_its_lines() -> None:
    """
    =====  ===================  ===================
    qty    unit price           discount
    =====  ===================  ===================
    5      2.19 (no tier)       0.00
    6      1.79 (tier 6)        6 × 0.40 = 2.40
    12     1.59 (tier 12)       12 × 0.60 = 7.20
    4 + 2  1.79 (same sku)      6 × 0.40 = 2.40
    =====  ===================  ===================
    """
    rules = [
        rule(
            "atk",
            "quantity_price",
            tiers=[{"min_qty": 12, "unit_price": "1.59"}, {"min_qty": 6, "unit_price": "1.79"}],
        )
    ]
    for basket, expected in (
        ([line("W", 5, "2.19")], {}),
        ([line("W", 6, "2.19")], {"atk": 240}),
        ([line("W", 12, "2.19")], {"atk": 720}),
        ([line("W", 4, "2.19"), line("W", 2, "2.19")], {"atk": 240}),
    ):
        assert by_rule(run(rules, basket)) == expected


def test_bundle_price_splits_the_saving_in_proportion_to_prices() -> None:
    """
    Café (17.49) + 2 pães (0.90) for 15.00: saving 4.29 over weights 1749, 90, 90 (cents):
    exact shares 388.97, 20.01, 20.01 → floors 388, 20, 20 and the last cent to the café.
    """
    rules = [
        rule(
            "combo",
            "bundle_price",
            components=[
                {"applies_to": {"tags": ["cafe"]}, "qty": 1},
                {"applies_to": {"tags": ["pao"]}, "qty": 2},
            ],
            price="15.00",
        )
    ]
    basket = [line("CAFE", 1, "17.49", tags=["cafe"]), line("PAO", 4, "0.90", tags=["pao"])]
    result = run(rules, basket)
    assert [ln.gross_cents - ln.net_cents for ln in result.lines] == [389, 40]


def test_bundle_two_for_a_price_leaves_the_odd_unit() -> None:
    """ "2 por R$ 15" on 3 × 9.99: one bundle, saving 4.98 (2.49 each); the third at 9.99."""
    rules = [
        rule(
            "2x15",
            "bundle_price",
            components=[{"applies_to": {"skus": ["V"]}, "qty": 2}],
            price="15.00",
        )
    ]
    result = run(rules, [line("V", 3, "9.99")])
    assert (result.total_cents, by_rule(result)) == (2499, {"2x15": 498})


def test_basket_thresholds_are_inclusive_and_spread_by_largest_remainder() -> None:
    """
    R$ 10 off from R$ 100: 100.00 fires, 99.99 does not. 5 % of 33.33 + 33.33 + 33.34 = 5.00,
    exact shares 1.6665, 1.6665, 1.667 → 1.66, 1.66, 1.66 + 2 cents by remainder: C then A.
    """
    off = [rule("b10", "basket_amount_off", amount="10.00", min_subtotal="100.00")]
    assert by_rule(run(off, [line("A", 1, "60.00"), line("B", 1, "40.00")])) == {"b10": 1000}
    assert by_rule(run(off, [line("A", 1, "60.00"), line("B", 1, "39.99")])) == {}
    pct = [rule("b5", "basket_percent_off", percent="5", min_subtotal="100")]
    basket = [line("A", 1, "33.33"), line("B", 1, "33.33"), line("C", 1, "33.34")]
    result = run(pct, basket)
    assert [ln.gross_cents - ln.net_cents for ln in result.lines] == [167, 166, 167]


def test_basket_discount_never_exceeds_the_subtotal() -> None:
    rules = [rule("b50", "basket_amount_off", amount="50.00")]
    result = run(rules, [line("A", 1, "30.00")])
    assert (by_rule(result), result.total_cents) == ({"b50": 3000}, 0)


def test_earning_rules_on_the_net_paid() -> None:
    """
    Net 68.11 (after a R$ 10 basket discount on 78.11):

    =================  =============================  =======
    rule               computation                    reward
    =================  =============================  =======
    points 1 / 1.00    floor(68.11)                   68
    multiplier ×2      68 × (2 − 1)                   68
    bonus 10 / unit    3 units of sku A               30
    cashback 2 %       1.3622 → 1.36                  1.36
    raffle / 20.00     floor(68.11 / 20)              3
    =================  =============================  =======
    """
    rules = [
        rule("off", "basket_amount_off", amount="10.00"),
        rule("pts", "points", per_amount="1.00", points=1),
        rule("x2", "points_multiplier", factor="2"),
        rule("bonus", "points_bonus", points=10, applies_to={"skus": ["A"]}),
        rule("cb", "cashback", percent="2"),
        rule("rf", "raffle", per_amount="20.00", campaign="verao"),
    ]
    basket = [line("A", 3, "10.00"), line("B", 1, "48.11")]
    rewards = run(rules, basket, member()).rewards
    assert rewards.points == 68 + 68 + 30
    assert rewards.cashback_cents == 136
    assert rewards.raffle_tickets == (("verao", 3),)
    assert {d.rule: d.amount for d in rewards.details} == {
        "pts": 68, "x2": 68, "bonus": 30, "cb": 136, "rf": 3,
    }  # fmt: skip
    assert run(rules, basket, None).rewards.details == ()
