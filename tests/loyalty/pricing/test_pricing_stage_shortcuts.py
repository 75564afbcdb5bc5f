"""The stages' shortcuts give exactly what the general code they skip gives (hypothesis).

Each shortcut is run beside the general path on random inputs: whole-tranche plan steps on
several lines and two steps splitting one line's only tranche against the general merge, the
"all lines differ" test over a run of ranks against counting the groups, the one-member-price
path against the capped loop, the basket stage's reuse of the nets it listed against nets read
afresh from the lines, and the bundle's "a component is short" test against the bundle loop.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, compile_rules, price
from loyalty.pricing.engine import _prepare, _promotions, all_different
from loyalty.pricing.promotions import available, bundle_price, bundles
from loyalty.pricing.rules import RuleKind, Stage
from loyalty.pricing.state import LineState, Plan, apply_plan, merge_plan

from .pricing_helpers import AT
from .test_pricing_fast_paths import LOCAL

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEMBER = MemberContext("m1", "gold")

lines = st.builds(
    lambda sku, qty, cents, weighed: BasketLine(
        sku,
        Decimal(qty) / 1000 if weighed else Decimal(max(1, qty // 1000)),
        Money.from_cents(cents),
        "cat" if sku != "C" else "other",
        weighed=weighed,
    ),
    st.sampled_from(["A", "B", "C", "D"]),
    st.integers(1, 6_000),
    st.integers(0, 3_000),
    st.booleans(),
)
baskets = st.lists(lines, min_size=1, max_size=8)


def _state(ls: LineState) -> tuple[Any, ...]:
    return (ls.tranches, ls.paid, ls.cut, ls.discounts, ls.version)


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(1, 12), st.integers(0, 900)), min_size=1, max_size=5), st.data()
)
def test_whole_tranche_steps_on_several_lines_apply_as_the_general_merge(
    specs: list[tuple[int, int]], data: st.DataObject
) -> None:
    def states() -> list[LineState]:
        out = []
        for pos, (qty, cents) in enumerate(specs):
            ls = LineState(pos, BasketLine(f"S{pos}", Decimal(qty), Money.from_cents(cents)))
            ls.discounts = {"earlier": 1} if pos % 2 else {}
            out.append(ls)
        return out

    fast, general = states(), states()
    steps = [
        (data.draw(st.integers(0, ls.tranches[0][1])), data.draw(st.booleans())) for ls in fast
    ]
    fast_plan, general_plan = Plan(), Plan()
    for ls, twin, (new_price, take) in zip(fast, general, steps, strict=True):
        fast_plan.add(ls, 0, ls.tranches[0][0], new_price, take)
        general_plan.add(twin, 0, twin.tranches[0][0], new_price, take)
    assert apply_plan(fast_plan, "p") == merge_plan(general_plan, "p")
    assert [_state(ls) for ls in fast] == [_state(ls) for ls in general]


@SETTINGS
@given(baskets, st.data())
def test_all_different_is_the_group_count(basket: list[BasketLine], data: st.DataObject) -> None:
    """Any lines of a sale in rank order (a run of adjacent ranks or not, identical lines or
    not): the shortcut says what counting their groups says."""
    order, _ = _prepare(
        basket, [compile_rules({"rules": []}).index_for(None)], None, frozenset(), AT, LOCAL
    )
    start = data.draw(st.integers(0, len(order) - 1))
    picked = [ls for ls in order[start:] if data.draw(st.booleans())] or [order[start]]
    for chosen in (picked, order[start:], order):
        assert all_different(chosen) is (len({ls.group for ls in chosen}) == len(chosen))


@SETTINGS
@given(baskets, st.lists(st.integers(0, 3_000), min_size=4, max_size=4))
def test_one_member_price_per_line_prices_as_the_capped_loop(
    basket: list[BasketLine], prices: list[int]
) -> None:
    """A cap no sale reaches on one member price sends every line through the general loop
    (dearest units first, rule by rule); without it each line takes the one-price path."""
    rules = [
        {
            "id": f"mp{sku}",
            "kind": "member_price",
            "name": f"mp{sku}",
            "sku": sku,
            "price": str(Money.from_cents(cents).amount),
            "audience": {"members_only": True},
        }
        for sku, cents in zip("ABCD", prices, strict=True)
    ]
    capped = [dict(rules[0], max_units_per_sale=10**6), *rules[1:]]
    plain = price(compile_rules({"rules": rules}), basket, MEMBER, None, AT)
    general = price(compile_rules({"rules": capped}), basket, MEMBER, None, AT)
    assert plain == general


basket_rules = st.lists(
    st.builds(
        lambda n, kind, value, minimum, stackable, scoped: {
            "id": f"b{n}",
            "kind": kind,
            "name": f"b{n}",
            **(
                {"amount": f"{value}.00"}
                if kind == "basket_amount_off"
                else {"percent": str(value)}
            ),
            "min_subtotal": f"{minimum}.00",
            "stackable": stackable,
            **({"applies_to": {"categories": ["cat"]}} if scoped else {}),
        },
        st.integers(0, 9),
        st.sampled_from(["basket_amount_off", "basket_percent_off"]),
        st.integers(1, 30),
        st.integers(0, 40),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda r: r["id"],
)


@SETTINGS
@given(baskets, basket_rules)
def test_basket_stage_reusing_its_nets_equals_reading_them_afresh(
    basket: list[BasketLine], rules: list[dict[str, Any]]
) -> None:
    """Rules over the same lines share one list, so the stage lists their nets once and
    carries them from spread to spread; given each rule its own copy of the list, it reads
    every net from the lines again. Both leave the same lines and the same totals."""
    idx = [compile_rules({"rules": rules}).index_for(None)]
    shared_order, shared = _prepare(basket, idx, None, frozenset(), AT, LOCAL)
    copied_order, copied = _prepare(basket, idx, None, frozenset(), AT, LOCAL)
    by_pos = {ls.pos: ls for ls in copied_order}
    own = [(rule, [by_pos[ls.pos] for ls in lines]) for rule, lines in copied]
    applied_shared: dict[str, int] = {}
    applied_copied: dict[str, int] = {}
    _promotions(shared, shared_order, applied_shared)
    _promotions(own, copied_order, applied_copied)
    assert list(applied_shared.items()) == list(applied_copied.items())
    assert [_state(ls) for ls in shared_order] == [_state(ls) for ls in copied_order]


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 900), st.data())
def test_two_steps_splitting_one_tranche_apply_as_the_general_merge(
    count: int, cents: int, data: st.DataObject
) -> None:
    """A percentage with remainder cents, or take-3-pay-2 on one line, splits the line's only
    tranche in two at different prices; near misses (one price, units left over, an earlier
    split) must take the general merge and still agree."""

    def state() -> LineState:
        ls = LineState(0, BasketLine("S", Decimal(count), Money.from_cents(cents)))
        ls.discounts = {"earlier": 1} if cents % 2 else {}
        return ls

    fast, general = state(), state()
    if data.draw(st.booleans()) and count > 1:  # an earlier promotion split the line
        for ls in (fast, general):
            ls.tranches = [[count - 1, cents, 0], [1, cents // 2, 1]]
    units = fast.tranches[0][0]
    first = data.draw(st.integers(1, units))
    second = data.draw(st.sampled_from([units - first, max(units - first - 1, 0)]))
    prices = [data.draw(st.integers(0, cents)) for _ in range(2)]
    if data.draw(st.booleans()):
        prices[1] = prices[0]
    takes = [data.draw(st.booleans()) for _ in range(2)]
    fast_plan, general_plan = Plan(), Plan()
    for plan, ls in ((fast_plan, fast), (general_plan, general)):
        plan.add(ls, 0, first, prices[0], takes[0])
        plan.add(ls, 0, second, prices[1], takes[1])
    assert apply_plan(fast_plan, "p") == merge_plan(general_plan, "p")
    assert _state(fast) == _state(general)


bundle_rules = st.builds(
    lambda first, second, qty, cents, stackable: {
        "id": "bundle",
        "kind": "bundle_price",
        "name": "bundle",
        "components": [
            {"applies_to": {"skus": first}, "qty": qty},
            {"applies_to": {"skus": second}, "qty": 1},
        ],
        "price": str(Money.from_cents(cents).amount),
        "stackable": stackable,
    },
    st.lists(st.sampled_from("ABCD"), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from("ABCD"), min_size=1, max_size=2, unique=True),
    st.integers(1, 4),
    st.integers(0, 3_000),
    st.booleans(),
)


@SETTINGS
@given(baskets, bundle_rules)
def test_bundle_short_of_a_component_plans_as_the_bundle_loop(
    basket: list[BasketLine], doc: dict[str, Any]
) -> None:
    """The bundle loop gives nothing when a component is short of units; the shortcut says so
    without listing the units, and otherwise hands over to the loop."""
    (rule,) = compile_rules({"rules": [doc]}).rules
    order, _ = _prepare(basket, [], None, frozenset(), AT, LOCAL)
    fast = bundle_price(rule, order)
    probe = Plan()
    general = bundles(rule, available(rule, order, probe), probe)
    assert (fast.ops, fast.discount, fast.read) == (general.ops, general.discount, general.read)


def test_every_rule_kind_has_a_stage_list() -> None:
    """The promotions stage files each rule under its stage's number in a list of six (stages
    1, 2, 3 and 5 are read back): a kind in another stage would be dropped, so none is."""
    assert {kind.stage for kind in RuleKind} == {
        Stage.PRICE,
        Stage.ITEM,
        Stage.BASKET,
        Stage.EARNING,
    }
