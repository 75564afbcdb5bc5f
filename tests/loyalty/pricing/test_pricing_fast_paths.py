"""The engine's fast paths give exactly what the general code they shortcut gives (hypothesis).

Each shortcut (liveness of rules with one simple condition, a one-line percent offer, a
one-step plan) is compared with the straightforward code it skips, on random inputs: the same
answer, the same plan steps, the same line state afterwards.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, compile_rules, price
from loyalty.pricing.arith import mul_half_up
from loyalty.pricing.candidates import _live
from loyalty.pricing.earning import multiplied
from loyalty.pricing.eligibility import live
from loyalty.pricing.engine import _prepare
from loyalty.pricing.promotions import _percent_on_groups, percent_off, percent_off_entries
from loyalty.pricing.result import (
    PricingResult,
    RewardDetail,
    Rewards,
    make_result,
    make_rewards,
    reward_detail,
)
from loyalty.pricing.rules import RuleKind
from loyalty.pricing.state import LineState, Plan, apply_plan, merge_plan

from .pricing_helpers import AT

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOCAL = datetime(2026, 3, 4, 10, 0)  # noqa: DTZ001 (AT in São Paulo, as the engine reads it)

audiences = st.fixed_dictionaries(
    {},
    optional={
        "members_only": st.booleans(),
        "tiers": st.lists(st.sampled_from(["gold", "silver"]), min_size=1, max_size=2),
        "segments": st.lists(st.sampled_from(["app", "vip"]), min_size=1, max_size=2),
        "member_ids": st.lists(st.sampled_from(["m1", "m2"]), min_size=1, max_size=2),
    },
)
windows = st.fixed_dictionaries(
    {},
    optional={
        "weekdays": st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True),
        "hours": st.sampled_from([["08:00", "12:00"], ["20:00", "23:00"], ["22:00", "02:00"]]),
    },
)


@st.composite
def a_rule(draw: st.DrawFn, n: int) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f"r{n}",
        "kind": "percent_off",
        "name": f"r{n}",
        "percent": "10",
        "applies_to": {"skus": ["A"]},
    }
    if audience := draw(audiences):
        rule["audience"] = audience
    if valid := draw(windows):
        rule["valid"] = valid
    if draw(st.booleans()):
        rule["requires_activation"] = True
    if draw(st.integers(0, 3)) == 0:
        rule["coupon"] = draw(st.sampled_from(["PROMO10", "OTHER"]))
    return rule


members = st.one_of(
    st.none(),
    st.builds(
        MemberContext,
        st.sampled_from(["m1", "m2", "m3"]),
        st.sampled_from([None, "gold", "silver"]),
        st.frozensets(st.sampled_from(["app", "vip"])),
        st.frozensets(st.sampled_from([f"r{n}" for n in range(6)])),
        st.frozensets(st.sampled_from(["PROMO10", "OTHER"])),
    ),
)


@SETTINGS
@given(st.lists(st.integers(0, 5), min_size=1, max_size=6, unique=True).flatmap(
    lambda ns: st.tuples(*(a_rule(n) for n in ns))
), members)  # fmt: skip
def test_liveness_shortcuts_match_the_full_check(
    rules: tuple[dict[str, Any], ...], who: MemberContext | None
) -> None:
    codes = frozenset() if who is None else who.coupons
    for rule in compile_rules({"rules": list(rules)}).rules:
        assert _live(rule, who, codes, AT, LOCAL) is live(rule, who, codes, AT, LOCAL), rule


@st.composite
def a_line_state(draw: st.DrawFn) -> LineState:
    weighed = draw(st.booleans())
    qty = (
        Decimal(draw(st.integers(1, 3_000))) / 1000
        if weighed
        else Decimal(draw(st.integers(1, 13)))
    )
    cents = draw(st.integers(0, 5_000))
    ls = LineState(0, BasketLine("A", qty, Money.from_cents(cents), weighed=weighed))
    ls.rank = ls.group = 0
    count, price, _ = ls.tranches[0]
    # Sometimes an earlier promotion left the units taken, or at another price.
    taken = draw(st.integers(0, 1))
    new_price = draw(st.sampled_from([price, 0, price // 2]))
    ls.tranches = [[count, new_price, taken]]
    ls.paid = count * new_price
    return ls


@SETTINGS
@given(
    a_line_state(),
    st.sampled_from(["0", "5", "10", "12.5", "15", "33", "33.33", "50", "100"]),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 20)),
)
def test_one_line_percent_offer_matches_the_general_plan(
    ls: LineState, pct: str, stackable: bool, cap: int | None
) -> None:
    fields: dict[str, Any] = {"stackable": stackable}
    if cap is not None:
        fields["max_units_per_sale"] = cap
    doc = {"id": "p", "kind": "percent_off", "name": "p", "percent": pct, **fields}
    (rule,) = compile_rules({"rules": [doc | {"applies_to": {"skus": ["A"]}}]}).rules
    fast = percent_off(rule, [ls])
    general = percent_off_entries(rule, [ls], Plan())
    assert (fast.ops, fast.discount, fast.read) == (general.ops, general.discount, general.read)


def _copy(ls: LineState) -> LineState:
    twin = LineState(ls.pos, ls.line)
    twin.rank, twin.group = ls.rank, ls.group
    twin.tranches = [list(t) for t in ls.tranches]
    twin.paid, twin.discounts = ls.paid, dict(ls.discounts)
    return twin


@SETTINGS
@given(a_line_state(), st.data())
def test_one_step_plan_applies_as_the_general_merge(ls: LineState, data: st.DataObject) -> None:
    count, price, _ = ls.tranches[0]
    units = data.draw(st.integers(1, count))
    new_price = data.draw(st.integers(0, price))
    take = data.draw(st.booleans())
    ls.discounts = data.draw(st.sampled_from([{}, {"p": 3}, {"q": 1}]))
    twin = _copy(ls)
    fast, general = Plan(), Plan()
    fast.add(ls, 0, units, new_price, take)
    general.add(twin, 0, units, new_price, take)
    assert apply_plan(fast, "p") == merge_plan(general, "p")
    assert (ls.tranches, ls.paid, ls.discounts, ls.version) == (
        twin.tranches,
        twin.paid,
        twin.discounts,
        twin.version,
    )


def test_identical_lines_share_a_basket_discount_as_one_line_would() -> None:
    """A basket rule over some lines, two of them identical and one product between them out
    of its scope: the split goes by product first, exactly as with the two lines merged.

    R$ 0,05 off A (2 × 1,00) and C (1,00); B (1,00) sits between them, out of scope:

    | basket        | split over            | A off  | C off  |
    |---------------|-----------------------|--------|--------|
    | A qty 2, B, C | A 2,00 / C 1,00       | 0,03   | 0,02   |
    | A, A, B, C    | by product, then line | 0,03   | 0,02   |

    (Split line by line instead, 1,00 / 1,00 / 1,00 would give A 0,04 and C 0,01.)
    """
    rules = [
        {
            "id": "b",
            "kind": "basket_amount_off",
            "name": "b",
            "amount": "0.05",
            "min_subtotal": "0.00",
            "applies_to": {"skus": ["A", "C"]},
        }
    ]
    a, b, c = (
        BasketLine("A", Decimal(1), Money("1.00")),
        BasketLine("B", Decimal(1), Money("1.00")),
        BasketLine("C", Decimal(1), Money("1.00")),
    )
    ruleset = compile_rules({"rules": rules})

    def per_product(lines: list[BasketLine]) -> dict[str, int]:
        out: dict[str, int] = {}
        for ln in price(ruleset, lines, None, None, AT).lines:
            out[ln.sku] = out.get(ln.sku, 0) + ln.net_cents
        return out

    merged = per_product([BasketLine("A", Decimal(2), Money("1.00")), b, c])
    assert merged == {"A": 197, "B": 100, "C": 98}
    assert per_product([a, a, b, c]) == merged


@SETTINGS
@given(
    a_line_state(),
    st.sampled_from(["0", "5", "10", "12.5", "15", "33", "33.33", "50", "100"]),
    st.booleans(),
    st.data(),
)
def test_one_group_percent_matches_the_grouping_loop(
    ls: LineState, pct: str, take: bool, data: st.DataObject
) -> None:
    count, price, taken = ls.tranches[0]
    units = data.draw(st.integers(1, count))
    entry = (price, taken, ls.rank, 0, ls, count)
    ratio = Decimal(pct).as_integer_ratio()
    fast, general = Plan(), Plan()
    _percent_on_groups(fast, [(entry, units)], ratio, take)
    # The same group given as two members (the second of no units) takes the general loop.
    _percent_on_groups(general, [(entry, units), (entry, 0)], ratio, take)
    assert (fast.ops, fast.discount) == (general.ops, general.discount)


@SETTINGS
@given(st.data())
def test_one_non_stackable_multiplier_holds_its_lines_as_the_contest_decides(
    data: st.DataObject,
) -> None:
    skus = ["A", "B", "C"]
    rules: list[dict[str, Any]] = [
        {"id": "m", "kind": "points_multiplier", "name": "m", "factor": "2"}
        | data.draw(st.sampled_from([{}, {"applies_to": {"skus": ["A", "B"]}}])),
        {"id": "s", "kind": "points_multiplier", "name": "s", "factor": "1.5", "stackable": True},
    ]
    for n in range(data.draw(st.integers(1, 3))):
        scope = data.draw(st.sampled_from([{}, {"applies_to": {"skus": ["A"]}}]))
        rules.append(
            {"id": f"p{n}", "kind": "points", "name": "p", "per_amount": "1.00", "points": 1}
            | scope
        )
    ruleset = compile_rules({"rules": rules})
    basket = [
        BasketLine(sku, Decimal(data.draw(st.integers(1, 4))), Money(data.draw(st.sampled_from(
            ["0.99", "3.50", "10.00"]))))
        for sku in data.draw(st.lists(st.sampled_from(skus), min_size=1, max_size=5))
    ]  # fmt: skip
    who = MemberContext("m1")
    order, found = _prepare(basket, [ruleset.index_for(None)], who, frozenset(), AT, LOCAL)
    kinds = {rule.id: lines for rule, lines in found}
    multipliers = [(r, ls) for r, ls in found if r.id in {"m", "s"}]
    points_rules = [(r.params, ls) for r, ls in found if r.id.startswith("p")]
    nets = {id(ls): sum(x.paid - x.cut for x in ls) for ls in kinds.values()}
    fast = multiplied(multipliers, points_rules, nets, contested=False)  # type: ignore[arg-type]
    general = multiplied(multipliers, points_rules, nets, contested=True)  # type: ignore[arg-type]
    assert fast == general


@SETTINGS
@given(
    st.text(min_size=1, max_size=8),
    st.text(max_size=8),
    st.sampled_from(list(RuleKind)),
    st.integers(0, 10**9),
    st.none() | st.text(min_size=1, max_size=8),
)
def test_reward_detail_maker_equals_the_dataclass(
    rule: str, name: str, kind: RuleKind, amount: int, campaign: str | None
) -> None:
    made = reward_detail(rule, name, kind, amount, campaign)
    plain = RewardDetail(rule, name, kind, amount, campaign)
    assert type(made) is RewardDetail
    assert made == plain
    assert hash(made) == hash(plain)
    assert repr(made) == repr(plain)
    assert [getattr(made, f.name) for f in fields(RewardDetail)] == [
        getattr(plain, f.name) for f in fields(RewardDetail)
    ]
    with pytest.raises(FrozenInstanceError):
        made.amount = 1  # type: ignore[misc]
    assert reward_detail(rule, name, kind, amount) == RewardDetail(rule, name, kind, amount)


@SETTINGS
@given(
    st.integers(0, 99_999),
    st.integers(1, 50_000),
    st.booleans(),
    st.sampled_from(["", "cat1"]),
    st.frozensets(st.sampled_from(["organic", "kids"])),
)
def test_a_lines_precomputed_start_is_the_general_one(
    cents: int, milli: int, weighed: bool, category: str, tags: frozenset[str]
) -> None:
    """The starting tranche, gross and scope key a BasketLine works out once equal what a
    line state computed from the line's quantity and price."""
    if not weighed:
        milli = max(1, milli // 1000) * 1000
    qty = Decimal(milli) / 1000
    line = BasketLine("A", qty, Money.from_cents(cents), category, "b", tags, weighed=weighed)
    ls = LineState(0, line)
    if weighed:
        gross = mul_half_up(cents, milli, 1000)
        assert ls.tranches == [[1, gross, 0]]
    else:
        gross = cents * (milli // 1000)
        assert ls.tranches == [[milli // 1000, cents, 0]]
    assert ls.gross == ls.paid == gross
    assert ls.line.scope_key == ("A", category, "b", tags)


@SETTINGS
@given(
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.lists(st.tuples(st.text(min_size=1, max_size=4), st.integers(1, 99)), max_size=3),
    st.lists(st.integers(1, 500), max_size=3),
)
def test_rewards_maker_equals_the_dataclass(
    points: int, cashback: int, tickets: list[tuple[str, int]], amounts: list[int]
) -> None:
    details = tuple(RewardDetail(f"r{i}", "n", RuleKind.POINTS, a) for i, a in enumerate(amounts))
    made = make_rewards(points, cashback, tuple(tickets), details)
    plain = Rewards(points, cashback, tuple(tickets), details)
    assert type(made) is Rewards
    assert made == plain
    assert hash(made) == hash(plain)
    assert repr(made) == repr(plain)
    with pytest.raises(FrozenInstanceError):
        made.points = 1  # type: ignore[misc]


def test_result_maker_equals_the_dataclass() -> None:
    """The engine's result, made by setting slots, equals the dataclass made from its fields."""
    ruleset = compile_rules({"rules": []})
    made = price(ruleset, [BasketLine("A", Decimal(2), Money("3.50"))], None, "S1", AT)
    values = [getattr(made, f.name) for f in fields(PricingResult)]
    plain = PricingResult(*values)
    assert type(made) is PricingResult
    assert made == plain
    assert repr(made) == repr(plain)
    assert make_result(*values) == plain
    with pytest.raises(FrozenInstanceError):
        made.total_cents = 1  # type: ignore[misc]
