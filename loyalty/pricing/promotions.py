"""Item promotions (kinds 2–6): what each rule would do to the current units, as a ``Plan``.

Units are chosen by price and then by line attributes, never by line order, so shuffling or
splitting lines changes no amount. "Available" units are those with a price above zero and, for
a non-stackable rule, without a non-stackable promotion already (a unit takes at most one).
"""

from __future__ import annotations

from collections.abc import Callable

from .arith import percent_of, split
from .rules import (
    AmountOff,
    BundlePrice,
    BuyGet,
    PercentOff,
    QuantityPrice,
    Rule,
    RuleKind,
    Selector,
    TakePay,
)
from .state import LineState, Plan

# (price, taken, rank, tranche index, line, units): sorts cheapest first, ties by attributes
Entry = tuple[int, int, int, int, LineState, int]


def available(rule: Rule, lines: list[LineState], plan: Plan) -> list[Entry]:
    stackable = rule.stackable
    out: list[Entry] = []
    for ls in lines:
        plan.read.append((ls, ls.version))
        for ti, (count, price, taken) in enumerate(ls.tranches):
            if price > 0 and (stackable or not taken):
                out.append((price, taken, ls.rank, ti, ls, count))
    return out


def _take(entries: list[Entry], units: int) -> list[tuple[Entry, int]]:
    """The first ``units`` units of ``entries`` (in the order given), as (entry, count) pairs."""
    out: list[tuple[Entry, int]] = []
    for entry in entries:
        if units <= 0:
            break
        n = min(entry[5], units)
        out.append((entry, n))
        units -= n
    return out


def _per_unit(
    rule: Rule, lines: list[LineState], new_price: Callable[[LineState, int], int]
) -> Plan:
    """A promotion that reprices each unit on its own (percent/amount off, quantity price)."""
    plan = Plan()
    entries = [e for e in available(rule, lines, plan) if new_price(e[4], e[0]) < e[0]]
    cap = rule.max_units_per_sale
    if cap is not None:
        # The cap goes to the dearest units first: the shopper's best reading, order-free.
        entries.sort(key=lambda e: (-e[0], e[1], e[2], e[3]))
        chosen = _take(entries, cap)
    else:
        chosen = [(e, e[5]) for e in entries]
    take = not rule.stackable
    for (price, _, _, ti, ls, _), n in chosen:
        plan.add(ls, ti, n, new_price(ls, price), take)
    return plan


def percent_off(rule: Rule, lines: list[LineState]) -> Plan:
    assert isinstance(rule.params, PercentOff)
    plan = Plan()
    if len(lines) == 1 and len(lines[0].tranches) == 1:
        # One line of like-priced units (most sku offers): what the general path below does
        # with one entry, without building the entries.
        ls = lines[0]
        plan.read.append((ls, ls.version))
        count, price, taken = ls.tranches[0]
        if price > 0 and (rule.stackable or not taken):
            cap = rule.max_units_per_sale
            units = count if cap is None else min(count, cap)
            if units > 0:
                entry = (price, taken, ls.rank, 0, ls, count)
                _percent_on_groups(
                    plan, [(entry, units)], rule.params.percent_ratio, not rule.stackable
                )
        return plan
    return percent_off_entries(rule, lines, plan)


def percent_off_entries(rule: Rule, lines: list[LineState], plan: Plan) -> Plan:
    """:func:`percent_off` in general, over the available entries of any lines."""
    assert isinstance(rule.params, PercentOff)
    entries = available(rule, lines, plan)  # priced above zero
    cap = rule.max_units_per_sale
    if cap is not None:
        entries.sort(key=_dear)  # the cap goes to the dearest units first, as in _per_unit
        chosen = _take(entries, cap)
    else:
        chosen = [(e, e[5]) for e in entries]
    _percent_on_groups(plan, chosen, rule.params.percent_ratio, not rule.stackable)
    return plan


def _percent_on_groups(
    plan: Plan, chosen: list[tuple[Entry, int]], pct: tuple[int, int], take: bool
) -> None:
    """``pct`` % off the chosen units, computed on each group's amount, not on each unit.

    A group is the units of identical lines at the same current price: the percentage of the
    group's amount is rounded once (half-up), so 15 % of 10 × 9,99 is 14,99 as on a receipt
    that rounds the line, not 10 × 1,00. The group's new amount is spread back over its units
    by largest remainder (equal weights): some units cost one cent more than others, every
    unit stays in whole cents, and the group adds up exactly. Identical lines pool into one
    group, so splitting a line into several changes no product's amount.
    """
    if len(chosen) == 1:  # one line, one price: the common case needs no grouping
        ((entry, units),) = chosen
        amount = entry[0] * units
        off = percent_of(amount, pct)
        if off > 0:
            low, dearer = divmod(amount - off, units)  # as below: `dearer` < units
            ls, ti = entry[4], entry[3]
            # plan.add's steps, inlined: the units' discounts add up to `off` exactly.
            if dearer:
                plan.ops.append((ls, ti, dearer, low + 1, take))
            plan.ops.append((ls, ti, units - dearer, low, take))
            plan.discount += off
        return
    groups: dict[tuple[int, int], list[tuple[Entry, int]]] = {}
    for entry, n in chosen:
        groups.setdefault((entry[4].group, entry[0]), []).append((entry, n))
    for (_, price), members in groups.items():
        units = sum([n for _, n in members])
        off = percent_of(price * units, pct)
        if off <= 0:
            continue  # a group the rule gives nothing is not used up by it
        new_total = price * units - off
        low, dearer = divmod(new_total, units)  # `dearer` units cost low + 1
        for (_, _, _, ti, ls, _), n in members:
            up = min(n, dearer)
            dearer -= up
            if up:
                plan.add(ls, ti, up, low + 1, take)
            if n - up:
                plan.add(ls, ti, n - up, low, take)


def amount_off(rule: Rule, lines: list[LineState]) -> Plan:
    assert isinstance(rule.params, AmountOff)
    amount = rule.params.amount_cents
    return _per_unit(rule, lines, lambda ls, price: max(0, price - ls.scaled(amount)))


def quantity_price(rule: Rule, lines: list[LineState]) -> Plan:
    assert isinstance(rule.params, QuantityPrice)
    tiers = rule.params.tiers
    # The tier is reached by the sku's quantity over all its lines (in thousandths, so weighed
    # kilos and counted units compare alike), so splitting a line never loses the tier.
    probe = Plan()
    qty: dict[str, int] = {}
    for _, _, _, _, ls, count in available(rule, lines, probe):
        line = ls.line
        qty[line.sku] = qty.get(line.sku, 0) + (line.qty_milli if line.is_weighed else count * 1000)
    price_for: dict[str, int] = {}
    for sku, milli in qty.items():
        reached = [t for t in tiers if t.min_qty_milli <= milli]
        if reached:
            price_for[sku] = reached[-1].price_cents

    def new_price(ls: LineState, price: int) -> int:
        tier = price_for.get(ls.line.sku)
        return price if tier is None else min(price, ls.scaled(tier))

    return _per_unit(rule, lines, new_price)


def take_pay(rule: Rule, lines: list[LineState]) -> Plan:
    """Of U units, floor(U/N)×(N−M) are free, the cheapest; the dearest g×M are the paid ones."""
    assert isinstance(rule.params, TakePay)
    take, pay = rule.params.take, rule.params.pay
    plan = Plan()
    entries = sorted(available(rule, lines, plan))
    groups = sum([e[5] for e in entries]) // take
    free = groups * (take - pay)
    if rule.max_units_per_sale is not None:
        free = min(free, rule.max_units_per_sale)
        groups = -(-free // (take - pay))
    if not free:
        return Plan()
    non_stackable = not rule.stackable
    for (_, _, _, ti, ls, _), n in _take(entries, free):
        plan.add(ls, ti, n, 0, non_stackable)
    if non_stackable:
        # The paid units of the deals are used up too: they cannot start another promotion.
        for (price, _, _, ti, ls, _), n in _take(entries[::-1], groups * pay):
            plan.add(ls, ti, n, price, True)
    return plan


def buy_get(rule: Rule, lines: list[LineState]) -> Plan:
    """For every X units bought, Y get P % off: the cheapest get units not counted as bought."""
    params = rule.params
    assert isinstance(params, BuyGet)
    x, y = params.buy.qty, params.get.qty
    plan = Plan()
    buy_sel, get_sel = params.buy.applies_to, params.get.applies_to
    # Each entry matched against each selector once (a line in neither is in no list).
    only_buy: list[Entry] = []
    both: list[Entry] = []
    only_get: list[Entry] = []
    bo = bg = go = 0
    for e in available(rule, lines, plan):
        key = e[4].line.scope_key
        if buy_sel.matches(*key):
            if get_sel.matches(*key):
                both.append(e)
                bg += e[5]
            else:
                only_buy.append(e)
                bo += e[5]
        elif get_sel.matches(*key):
            only_get.append(e)
            go += e[5]
    deals = min((bo + bg) // x, (go + bg) // y)
    while deals and deals * y > go + bg - max(0, deals * x - bo):
        deals -= 1
    gets = deals * y
    if rule.max_units_per_sale is not None:
        gets = min(gets, rule.max_units_per_sale)
        deals = -(-gets // y)
    if not gets:
        return Plan()
    # Buy units: those only in the buy set first (they cannot be "get" units), dearest first.
    dearest = sorted(only_buy, key=_dear) + sorted(both, key=_dear)
    used: dict[tuple[int, int], int] = {}
    take = not rule.stackable
    for (price, _, _, ti, ls, _), n in _take(dearest, deals * x):
        used[(ls.pos, ti)] = n
        if take:
            plan.add(ls, ti, n, price, True)
    rest = [
        (p, t, r, ti, ls, count - used.get((ls.pos, ti), 0))
        for p, t, r, ti, ls, count in sorted(only_get + both)
    ]
    chosen = _take([e for e in rest if e[5] > 0], gets)
    _percent_on_groups(plan, chosen, params.percent_ratio, take)
    return plan


def _dear(e: Entry) -> tuple[int, int, int, int]:
    return (-e[0], e[1], e[2], e[3])


def _in(sel: Selector, ls: LineState) -> bool:
    return sel.matches(*ls.line.scope_key)


def bundle_price(rule: Rule, lines: list[LineState]) -> Plan:
    """Complete bundles, dearest units first, each costing ``price``; the discount is split
    over the bundle's units in proportion to their prices (largest remainder)."""
    assert isinstance(rule.params, BundlePrice)
    plan = Plan()
    entries = available(rule, lines, plan)
    # Not one bundle if a component has fewer units in the basket than it needs (the common
    # case): the general loop would stop at its first bundle, so skip listing the units.
    for c in rule.params.components:
        sel = c.applies_to
        if sum([e[5] for e in entries if sel.matches(*e[4].line.scope_key)]) < c.qty:
            return plan
    return bundles(rule, entries, plan)


def bundles(rule: Rule, entries: list[Entry], plan: Plan) -> Plan:
    """:func:`bundle_price` in general, over the available ``entries`` (read into ``plan``)."""
    params = rule.params
    assert isinstance(params, BundlePrice)
    units = [
        (price, taken, rank, ti, ls)
        for price, taken, rank, ti, ls, count in sorted(entries, key=_dear)
        for _ in range(count)
    ]
    comps = [
        (c.qty, [i for i, u in enumerate(units) if _in(c.applies_to, u[4])])
        for c in params.components
    ]
    cursor = [0] * len(comps)
    used = [False] * len(units)
    cap = rule.max_units_per_sale
    in_bundles = 0
    take = not rule.stackable
    while True:
        picks: list[int] = []
        for ci, (qty, candidates) in enumerate(comps):
            got = 0
            while got < qty and cursor[ci] < len(candidates):
                i = candidates[cursor[ci]]
                cursor[ci] += 1
                if not used[i]:
                    used[i] = True
                    picks.append(i)
                    got += 1
            if got < qty:
                return plan
        paid = sum([units[i][0] for i in picks])
        if paid <= params.price_cents or (cap is not None and in_bundles + len(picks) > cap):
            return plan  # later bundles are no dearer: none of them saves anything either
        in_bundles += len(picks)
        picks.sort()
        shares = split(paid - params.price_cents, [units[i][0] for i in picks])
        for i, share in zip(picks, shares, strict=True):
            price, _, _, ti, ls = units[i]
            plan.add(ls, ti, 1, price - share, take)


PLANNERS: dict[RuleKind, Callable[[Rule, list[LineState]], Plan]] = {
    RuleKind.PERCENT_OFF: percent_off,
    RuleKind.AMOUNT_OFF: amount_off,
    RuleKind.QUANTITY_PRICE: quantity_price,
    RuleKind.TAKE_PAY: take_pay,
    RuleKind.BUY_GET: buy_get,
    RuleKind.BUNDLE_PRICE: bundle_price,
}
