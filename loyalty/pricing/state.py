"""The engine's working state for one basket: lines split into tranches of like-priced units.

A line of 6 units starts as one tranche ``[6, price, taken=0]``; a promotion that frees two of
them splits it into ``[4, price, 0]`` and ``[2, 0, 1]``. Working per unit (not per line) is what
makes a line of qty 3 price exactly like three lines of qty 1. A weighed line is one unit whose
"price" is the line amount. Amounts are integer cents; this module is private to the engine.
"""

from __future__ import annotations

from .arith import mul_half_up
from .basket import BasketLine

Tranche = list[int]  # [count, unit price in cents, taken (1: has a non-stackable promotion)]


class LineState:
    # What never changes in a sale (sku, scope key, weighed, quantity) is read from ``line``,
    # worked out once there: a state holds only what the stages change, made 20 times a sale.
    __slots__ = (
        "pos", "line", "rank", "group",
        "gross", "tranches", "paid", "discounts", "cut", "vouchers", "version",
    )  # fmt: skip
    rank: int  # position in attribute order, set by the engine once the lines are sorted
    group: int  # lines with equal attributes share a group, likewise

    def __init__(self, pos: int, line: BasketLine) -> None:
        self.pos = pos
        self.line = line
        self.tranches: list[Tranche] = [[line.units, line.unit_cents, 0]]
        self.gross = self.paid = line.gross_cents  # paid: sum of count × price over tranches
        self.discounts: dict[str, int] = {}  # rule id -> cents, in the order rules applied
        self.cut = 0  # basket-level cents taken off this line (basket rules and vouchers)
        self.vouchers: dict[str, int] | None = None  # voucher id -> cents, made on first use
        self.version = 0  # bumped on every change, so a stale plan is recomputed

    def scaled(self, unit_cents: int) -> int:
        """What a per-unit (per-kg) amount comes to for one unit of this line."""
        line = self.line
        return mul_half_up(unit_cents, line.qty_milli, 1000) if line.is_weighed else unit_cents

    def units(self) -> int:
        return sum([t[0] for t in self.tranches])

    def net(self) -> int:
        return self.paid - self.cut


# (line, tranche index, units, new unit price, take): one step of a plan
Op = tuple[LineState, int, int, int, bool]


class Plan:
    """What a rule would do to the current state; applied only if still current."""

    __slots__ = ("ops", "discount", "read")

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.discount = 0
        self.read: list[tuple[LineState, int]] = []

    def current(self) -> bool:
        for ls, seen in self.read:
            if ls.version != seen:
                return False
        return True

    def add(self, ls: LineState, ti: int, units: int, new_price: int, take: bool) -> None:
        self.ops.append((ls, ti, units, new_price, take))
        self.discount += (ls.tranches[ti][1] - new_price) * units


def apply_plan(plan: Plan, rule_id: str) -> int:
    """Apply ``plan``'s steps to their lines, attributing the cents to ``rule_id``.

    The usual shapes are applied at once: one or two steps on one line's only tranche (an
    offer on all or part of a line, a percentage's remainder cents, take-3-pay-2's free and
    paid units), and whole-tranche steps on several lines. Each gives what the general merge
    (:func:`merge_plan`) gives, which takes the rest.
    """
    plan_ops = plan.ops
    if len(plan_ops) == 1:
        ((ls, _, units, new_price, take),) = plan_ops
        old = ls.tranches
        if len(old) == 1:
            count, price, taken = old[0]
            mark = 1 if take or taken else 0
            if units == count:
                tranches = [[units, new_price, mark]]
            elif units < count and (new_price != price or mark != taken):
                # The merge keeps the units left over first, then the step's (no merging:
                # they differ in price or in being taken).
                tranches = [[count - units, price, taken], [units, new_price, mark]]
            else:
                return merge_plan(plan, rule_id)
            return _replace(ls, tranches, (price - new_price) * units, rule_id)
    elif len(plan_ops) == 2:
        (ls, _, units, new_price, take), (twin, _, units2, new_price2, take2) = plan_ops
        old = ls.tranches
        if twin is ls and len(old) == 1 and old[0][0] == units + units2 and new_price != new_price2:
            # The line's only tranche split in two at different prices: the merge's two
            # tranches, in step order.
            _, price, taken = old[0]
            tranches = [
                [units, new_price, 1 if take or taken else 0],
                [units2, new_price2, 1 if take2 or taken else 0],
            ]
            cents = (price - new_price) * units + (price - new_price2) * units2
            return _replace(ls, tranches, cents, rule_id)
    for ls, _, units, _, _ in plan_ops:
        old = ls.tranches
        if len(old) != 1 or old[0][0] != units:
            return merge_plan(plan, rule_id)
    # Each step takes all the units of its line's only tranche, so no line has two steps.
    total = 0
    for ls, _, units, new_price, take in plan_ops:
        _, price, taken = ls.tranches[0]
        cents = (price - new_price) * units
        ls.tranches = [[units, new_price, 1 if take or taken else 0]]
        ls.paid -= cents
        ls.version += 1
        if cents:
            ls.discounts[rule_id] = ls.discounts.get(rule_id, 0) + cents
        total += cents
    return total


def _replace(ls: LineState, tranches: list[Tranche], cents: int, rule_id: str) -> int:
    """Give ``ls`` its new ``tranches``, ``cents`` cheaper in all, and return the cents."""
    ls.tranches = tranches
    ls.paid -= cents
    ls.version += 1
    if cents:
        ls.discounts[rule_id] = ls.discounts.get(rule_id, 0) + cents
    return cents


def merge_plan(plan: Plan, rule_id: str) -> int:
    """:func:`apply_plan` in general: each line's steps, its tranches merged by price."""
    by_line: dict[int, list[Op]] = {}
    for op in plan.ops:
        by_line.setdefault(op[0].pos, []).append(op)
    total = 0
    for ops in by_line.values():
        ls = ops[0][0]
        old = ls.tranches
        left = [t[0] for t in old]
        added: list[Tranche] = []
        cents = 0
        for _, ti, units, new_price, take in ops:
            left[ti] -= units
            price, taken = old[ti][1], old[ti][2]
            cents += (price - new_price) * units
            added.append([units, new_price, 1 if take or taken else 0])
        merged: dict[tuple[int, int], Tranche] = {}
        for count, (_, price, taken) in zip(left, old, strict=True):
            if count:
                _merge(merged, count, price, taken)
        for count, price, taken in added:
            _merge(merged, count, price, taken)
        ls.tranches = list(merged.values())
        ls.paid -= cents
        ls.version += 1
        if cents:
            ls.discounts[rule_id] = ls.discounts.get(rule_id, 0) + cents
        total += cents
    return total


def _merge(merged: dict[tuple[int, int], Tranche], count: int, price: int, taken: int) -> None:
    key = (price, taken)
    if key in merged:
        merged[key][0] += count
    else:
        merged[key] = [count, price, taken]
