"""The engine against simple independent oracles, and against garbage input.

The oracles restate the documented semantics in the plainest code, unit by unit, for the
kinds where that is easy; the fuzz tests check that any JSON either parses or raises the
package's own error (the CLI's "never a traceback").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import (
    BasketError,
    BasketLine,
    CampaignError,
    compile_rules,
    parse_basket,
    price,
)

from .pricing_helpers import AT

SKUS = ["A", "B", "C"]
CENT = Decimal("0.01")


@st.composite
def simple_rule(draw: st.DrawFn, n: int) -> dict[str, Any]:
    r: dict[str, Any] = {"id": f"r{n}", "name": f"r{n}", "priority": n * 10}  # distinct priorities
    if draw(st.booleans()):
        r |= {
            "kind": "percent_off",
            "percent": draw(st.sampled_from(["5", "10", "12.5", "50", "100"])),
        }
    else:
        r |= {"kind": "amount_off", "amount": draw(st.sampled_from(["0.10", "1.00", "3.00"]))}
    r["stackable"] = draw(st.booleans())
    if draw(st.booleans()):
        r["applies_to"] = {"skus": draw(st.lists(st.sampled_from(SKUS), min_size=1, unique=True))}
    return r


simple_lines = st.lists(
    st.builds(
        lambda sku, qty, p: BasketLine(sku, Decimal(qty), Money(p)),
        st.sampled_from(SKUS),
        st.sampled_from(["1", "2", "3", "0.75", "1.234"]),
        st.sampled_from(["0.99", "3.33", "10.00", "2.50"]),
    ),
    min_size=1,
    max_size=5,
)


def oracle_group(rules: list[dict[str, Any]], lines: list[BasketLine]) -> Decimal:
    """Net of a group of identical lines: the rules walk its units by priority.

    A percentage is taken of each set of available units at one price, together (rounded once,
    half-up), and their new amount is spread evenly: some units then cost a cent more than
    others. An amount off is per unit. A non-stackable rule takes the units it discounts.
    """
    line = lines[0]
    weighed = line.qty != line.qty.to_integral_value()
    if weighed:
        start = (line.unit_price.amount * line.qty).quantize(CENT, ROUND_HALF_UP)
        units = [[start, False] for _ in lines]
    else:
        units = [[line.unit_price.amount, False] for ln in lines for _ in range(int(ln.qty))]
    for r in sorted(rules, key=lambda r: r["priority"]):
        if "applies_to" in r and line.sku not in r["applies_to"]["skus"]:
            continue
        free = [u for u in units if u[0] > 0 and (r["stackable"] or not u[1])]
        by_price: dict[Decimal, list[list[Any]]] = {}
        for u in free:
            by_price.setdefault(u[0], []).append(u)
        for p, same in by_price.items():
            if r["kind"] == "percent_off":
                off = (p * len(same) * Decimal(r["percent"]) / 100).quantize(CENT, ROUND_HALF_UP)
                if off <= 0:
                    continue
                cents = int((p * len(same) - off) * 100)
                low, dearer = divmod(cents, len(same))
                for i, u in enumerate(same):
                    u[0] = Decimal(low + (1 if i < dearer else 0)) / 100
                    u[1] = u[1] or not r["stackable"]
                continue
            per = Decimal(r["amount"])
            for u in same:
                d = min(u[0], (per * line.qty).quantize(CENT, ROUND_HALF_UP) if weighed else per)
                if d > 0:
                    u[0] -= d
                    u[1] = u[1] or not r["stackable"]
    return sum((u[0] for u in units), Decimal(0))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 9), unique=True, max_size=4).flatmap(
        lambda ns: st.tuples(*(simple_rule(n) for n in ns))
    ),
    simple_lines,
)
def test_percent_and_amount_rules_match_the_group_by_group_oracle(
    rules: tuple[dict[str, Any], ...], lines: list[BasketLine]
) -> None:
    result = price(compile_rules({"rules": list(rules)}), lines, None, None, AT)
    groups: dict[tuple[str, Decimal, Decimal], list[int]] = {}
    for i, ln in enumerate(lines):
        weighed = ln.qty != ln.qty.to_integral_value()
        groups.setdefault((ln.sku, ln.unit_price.amount, ln.qty if weighed else 0), []).append(i)
    for members in groups.values():
        engine = sum((result.lines[i].net.amount for i in members), Decimal(0))
        assert engine == oracle_group(list(rules), [lines[i] for i in members])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.lists(st.integers(1, 2000), min_size=1, max_size=12),
)
def test_take_pay_frees_exactly_the_cheapest_units(
    take_pay: tuple[int, int], prices: list[int]
) -> None:
    take, pay = take_pay
    lines = [BasketLine(f"S{i}", Decimal(1), Money.from_cents(c)) for i, c in enumerate(prices)]
    rules = [{"id": "tp", "kind": "take_pay", "name": "tp", "take": take, "pay": pay}]
    result = price(compile_rules({"rules": rules}), lines, None, None, AT)
    free = len(prices) // take * (take - pay)
    assert result.subtotal_cents - result.total_cents == sum(sorted(prices)[:free])


KEYS = st.sampled_from(["skus", "qty", "applies_to", "percent", "from", "x"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=True)
    | st.text(max_size=6)
    | st.sampled_from(["10", "-1", "1.999", "2026-03-01", "08:00", "percent_off", "A"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
SEL = {"skus": ["A"]}
VALID = [
    {"id": "a", "kind": "percent_off", "name": "n", "percent": "10", "applies_to": SEL},
    {"id": "b", "kind": "buy_get", "name": "n", "buy": {"applies_to": SEL, "qty": 2},
     "get": {"applies_to": SEL, "qty": 1, "percent": 50}},
    {"id": "c", "kind": "quantity_price", "name": "n",
     "tiers": [{"min_qty": 6, "unit_price": "1.79"}]},
    {"id": "d", "kind": "bundle_price", "name": "n", "price": "5",
     "components": [{"applies_to": SEL, "qty": 2}]},
    {"id": "e", "kind": "raffle", "name": "n", "per_amount": "50", "campaign": "c",
     "valid": {"hours": ["08:00", "12:00"]}},
]  # fmt: skip
FIELDS = [
    "id", "kind", "name", "percent", "applies_to", "buy", "get", "tiers", "components", "price",
    "valid", "audience", "priority", "max_units_per_sale", "coupon",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(VALID),
    st.sampled_from(
        [
            "id",
            "kind",
            "name",
            "percent",
            "applies_to",
            "buy",
            "get",
            "tiers",
            "components",
            "price",
            "valid",
            "audience",
            "priority",
            "max_units_per_sale",
            "coupon",
        ]
    ),
    json_values,
)
def test_any_json_in_any_field_parses_or_raises_a_campaign_error(
    base: dict[str, Any], field: str, value: object
) -> None:
    doc = {"rules": [{**base, field: value}]}
    error: CampaignError | None = None
    try:
        compile_rules(doc)
    except CampaignError as err:
        error = err
    if error is not None:
        assert error.message_en.startswith(
            ("rule 'a'", "rule 'b'", "rule 'c'", "rule 'd'", "rule 'e'", "rule #1")
        )
        assert error.message_pt.startswith("regra ")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["sku", "qty", "unit_price", "category", "tags", "weighed", "brand"]),
    json_values,
)
def test_any_json_in_a_line_parses_or_raises_a_basket_error(field: str, value: object) -> None:
    error: BasketError | None = None
    try:
        parse_basket({"lines": [{"sku": "A", "qty": 1, "unit_price": "1.00", field: value}]})
    except BasketError as err:
        error = err
    if error is not None:
        assert error.message_en.startswith("line 1: field ")
