"""The evaluator: price a basket against a compiled rule set, explaining every cent.

Order (``docs/campaign-format.md``): member prices → item promotions by ascending priority →
basket promotions → vouchers → earning. The same pure function runs at the till and at the
server, so both get the same answer to the cent. Nothing here reads the clock: ``at`` is given.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

from .arith import percent_of, ratio, split
from .basket import BasketLine, MemberContext, normalize_codes
from .candidates import RuleLines
from .candidates import candidates as rules_in_scope
from .coupons import explain_coupons
from .earning import earn
from .errors import PricingError
from .index import Head, RuleSet, StoreIndex
from .promotions import PLANNERS
from .result import (
    AppliedRule,
    CouponOutcome,
    Explanation,
    LineResult,
    PricingResult,
    Rewards,
    VoucherOutcome,
    make_result,
)
from .rules import BasketAmountOff, BasketPercentOff, MemberPrice, Rule, Stage
from .state import LineState, apply_plan
from .voucher import VoucherApplication


def price(
    ruleset: RuleSet,
    basket: Sequence[BasketLine],
    member: MemberContext | None,
    store_id: str | None,
    at: datetime,
    *,
    vouchers: Sequence[VoucherApplication] = (),
    coupons: Iterable[str] = (),
    personal: RuleSet | None = None,
) -> PricingResult:
    """Price ``basket`` for ``member`` (``None``: anonymous) in ``store_id`` at ``at``.

    :param ruleset: from :func:`compile_rules`; build it once and reuse it.
    :param personal: the member's personal offers (:func:`personal_ruleset`), evaluated with
        the chain's rules, after them within each stage; rule ids must not repeat the chain's.
    :param at: the sale time, time-zone aware; rules' windows are read in the store's zone.
    :param vouchers: validated vouchers to apply after the basket promotions, in this order.
    :param coupons: codes presented at the till, in addition to ``member.coupons``.
    :raises PricingError: for a naive ``at``.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise PricingError(
            "sale time",
            "horário da venda",
            "at",
            f"must be a date-time with a time zone, got {at.isoformat()}",
            f"deve ser uma data-hora com fuso horário, recebido {at.isoformat()}",
        )
    # The store's wall-clock time, naive: combine() of its date and time is the value of
    # replace(tzinfo=None) at a seventh of the cost (replace parses keywords).
    zoned = at.astimezone(ZoneInfo(ruleset.timezone_for(store_id)))
    local = _combine(zoned.date(), zoned.time())
    codes = normalize_codes(coupons) if coupons else _NO_CODES
    if member is not None:
        codes = codes | member.coupons if codes else member.coupons
    indexes = [ruleset.index_for(store_id)]
    if personal is not None:
        indexes.append(personal.index_for(store_id))
    order, found = _prepare(basket, indexes, member, codes, at, local)
    applied: dict[str, int] = {}
    exclusive_rules = ruleset.has_exclusive or (personal is not None and personal.has_exclusive)
    if exclusive_rules and any(rule.exclusive for rule, _ in found):
        order, found, applied = _best_option(basket, indexes, member, codes, at, local, found)
        earning = [(rule, lines) for rule, lines in found if rule.stage is _EARNING]
    else:
        earning = _promotions(found, order, applied)
    outcomes = _vouchers(vouchers, order)
    rewards = earn(earning) if member is not None else earn([])
    heads = ruleset.heads if personal is None else ChainMap(ruleset.heads, personal.heads)
    explained: tuple[CouponOutcome, ...] = ()
    if codes:
        sets = (ruleset,) if personal is None else (ruleset, personal)
        explained = explain_coupons(sets, codes, member, store_id, at, local, applied, rewards)
    return _result(heads, order, applied, vouchers, outcomes, rewards, store_id, member, explained)


def _prepare(
    basket: Sequence[BasketLine],
    indexes: list[StoreIndex],
    member: MemberContext | None,
    codes: frozenset[str],
    at: datetime,
    local: datetime,
) -> tuple[list[LineState], list[RuleLines]]:
    """Fresh line states in attribute order, and the live rules with their lines."""
    order = [LineState(i, line) for i, line in enumerate(basket)]
    order.sort(key=_SORT_KEY)  # stable: identical lines keep their basket order
    previous: object = None
    group = -1
    for rank, ls in enumerate(order):
        ls.rank = rank
        key = ls.line.sort_key
        if key != previous:
            previous = key
            group += 1
        ls.group = group
    found: list[RuleLines] = []
    for idx in indexes:
        found += rules_in_scope(idx, order, member, codes, at, local)
    return order, found


def _promotions(
    found: list[RuleLines], order: list[LineState], applied: dict[str, int]
) -> list[RuleLines]:
    """Stages 1–3 (member prices, item and basket promotions) on ``order``; returns the
    earning rules (stage 5) for later."""
    # One list per stage, indexed by the stage's number (``Stage`` is an ``IntEnum``; every
    # rule kind is in stage 1, 2, 3 or 5): one subscript per rule, no test per stage.
    by_stage: list[list[RuleLines]] = [[], [], [], [], [], []]
    for found_rule in found:
        by_stage[found_rule[0].stage].append(found_rule)
    _, prices, items, baskets, _, earning = by_stage
    _member_prices(prices, applied)
    _item_promotions(items, applied)
    _basket_promotions(baskets, order, applied)
    return earning


def _best_option(
    basket: Sequence[BasketLine],
    indexes: list[StoreIndex],
    member: MemberContext | None,
    codes: frozenset[str],
    at: datetime,
    local: datetime,
    found: list[RuleLines],
) -> tuple[list[LineState], list[RuleLines], dict[str, int]]:
    """Exclusive promotions: price the sale once without them and once with each alone.

    The option that leaves the shopper the lowest total after the basket stage wins; ties go
    to the sale without exclusive promotions, then to the exclusive rule of lower priority,
    then of smaller id. An exclusive rule that gives nothing never wins (it ties at best).
    """
    exclusives = sorted(
        {rule.id: rule for rule, _ in found if rule.exclusive}.values(),
        key=lambda r: (r.priority, r.id),
    )
    best: tuple[int, list[LineState], list[RuleLines], dict[str, int]] | None = None
    for only in (None, *exclusives):
        order, option = _prepare(basket, indexes, member, codes, at, local)
        kept = [
            (rule, lines)
            for rule, lines in option
            if rule.stage not in _PROMOTION_STAGES
            or (rule is only if only is not None else not rule.exclusive)
        ]
        applied: dict[str, int] = {}
        _promotions(kept, order, applied)
        total = sum([ls.paid - ls.cut for ls in order])
        if best is None or total < best[0]:
            best = (total, order, kept, applied)
    assert best is not None
    return best[1], best[2], best[3]


_PROMOTION_STAGES = frozenset({Stage.ITEM, Stage.BASKET})
_EARNING = Stage.EARNING
_NO_CODES: frozenset[str] = frozenset()
_combine = datetime.combine


_SORT_KEY = attrgetter("line.sort_key")


def _member_prices(rules: list[RuleLines], applied: dict[str, int]) -> None:
    """Each unit's price becomes the lowest of its shelf price and its live member prices."""
    if not rules:
        return
    per_line: dict[int, tuple[LineState, list[Rule]]] = {}
    caps: dict[str, int] = {}
    for rule, lines in rules:
        if rule.max_units_per_sale is not None:
            caps[rule.id] = rule.max_units_per_sale
        for ls in lines:
            entry = per_line.get(ls.pos)
            if entry is None:
                per_line[ls.pos] = (ls, [rule])
            else:
                entry[1].append(rule)
    # With caps, the dearest units get the member price first (order-free, shopper's best).
    # Nothing before this stage changes a line: its one tranche is still its shelf price.
    # Sorted as (−unit price, rank, …) tuples: ranks are unique, so a comparison never gets
    # past them, and no key function is called per line.
    for _, _, ls, candidates in (
        sorted([(-ls.line.unit_cents, ls.rank, ls, rules) for ls, rules in per_line.values()])
        if len(per_line) > 1
        else [(0, 0, ls, rules) for ls, rules in per_line.values()]
    ):
        count, shelf, _ = ls.tranches[0]
        if len(candidates) == 1 and not caps:
            # One member price, no cap (the common case): all units at the lower price.
            rule = candidates[0]
            params = rule.params
            assert isinstance(params, MemberPrice)
            unit = ls.scaled(params.price_cents) if ls.line.is_weighed else params.price_cents
            if unit < shelf:
                cents = (shelf - unit) * count
                ls.tranches = [[count, unit, 0]]
                ls.paid = count * unit
                ls.version += 1
                ls.discounts[rule.id] = cents  # the line's first discount
                applied[rule.id] = applied.get(rule.id, 0) + cents
            continue
        left = count
        paid = 0
        tranches: list[list[int]] = []
        for rule in candidates if len(candidates) == 1 else sorted(candidates, key=_by_price):
            assert isinstance(rule.params, MemberPrice)
            unit = rule.params.price_cents
            if ls.line.is_weighed:
                unit = ls.scaled(unit)
            if unit >= shelf:
                break
            n = min(left, caps.get(rule.id, left))
            if n <= 0:
                continue
            if rule.id in caps:
                caps[rule.id] -= n
            tranches.append([n, unit, 0])
            paid += n * unit
            cents = (shelf - unit) * n
            ls.discounts[rule.id] = ls.discounts.get(rule.id, 0) + cents
            applied[rule.id] = applied.get(rule.id, 0) + cents
            left -= n
            if not left:
                break
        if left:
            tranches.append([left, shelf, 0])
            paid += left * shelf
        ls.tranches = tranches
        ls.paid = paid  # the sum of count × price over the tranches
        ls.version += 1


def _by_price(rule: Rule) -> tuple[int, str]:
    assert isinstance(rule.params, MemberPrice)
    return (rule.params.price_cents, rule.id)


def _item_promotions(rules: list[RuleLines], applied: dict[str, int]) -> None:
    """By ascending priority; within a priority, the larger discount on the basket first."""
    by_priority: dict[int, list[RuleLines]] = {}
    for rule, lines in rules:
        by_priority.setdefault(rule.priority, []).append((rule, lines))
    for priority in sorted(by_priority) if len(by_priority) > 1 else by_priority:
        # (−discount, rule id, n, …): sorted as tuples, no key function called per plan;
        # ``n`` (unique) keeps equal ids in list order, as a stable sort did.
        plans = [
            (-(plan := PLANNERS[r.kind](r, lines)).discount, r.id, n, plan, r, lines)
            for n, (r, lines) in enumerate(by_priority[priority])
        ]
        if len(plans) > 1:
            plans.sort()
        changed = False  # nothing applied yet at this priority: every plan is current
        for _, _, _, plan, rule, lines in plans:
            if plan.discount <= 0:
                break  # sorted: no later rule of this priority gives anything either
            if changed and not plan.current():
                plan = PLANNERS[rule.kind](rule, lines)
                if plan.discount <= 0:
                    continue
            applied[rule.id] = applied.get(rule.id, 0) + apply_plan(plan, rule.id)
            changed = True


_BASKET_PARAMS = (BasketAmountOff, BasketPercentOff)


def _basket_promotions(
    rules: list[RuleLines], order: list[LineState], applied: dict[str, int]
) -> None:
    """The best non-stackable basket promotion, then every stackable one on what is left.

    Thresholds (inclusive) compare with the eligible subtotal after item promotions.
    """
    if not rules:
        return
    # Rules over every line share one list (``candidates``): its nets are listed and summed
    # once, and reused as the weights of the first spread over it.
    nets: dict[int, list[int]] = {}
    sums: dict[int, int] = {}
    base: dict[str, int] = {}
    for rule, lines in rules:
        net = sums.get(id(lines))
        if net is None:
            weights = nets[id(lines)] = [ls.paid - ls.cut for ls in lines]
            net = sums[id(lines)] = sum(weights)
        base[rule.id] = net

    def offer(rule: Rule, current: int) -> int:
        p = rule.params
        assert isinstance(p, _BASKET_PARAMS)
        if current <= 0 or base[rule.id] < p.min_cents:
            return 0
        if isinstance(p, BasketAmountOff):
            return min(p.amount_cents, current)
        return min(percent_of(current, p.percent_ratio), current)

    # Both lists are ordered as plain tuples (no key function per rule) that end in ``n``,
    # unique, before the rule: the best offer first, then lower priority, then smaller id.
    exclusive = [
        (-offer(r, base[r.id]), r.priority, r.id, n, r, lines)
        for n, (r, lines) in enumerate(rules)
        if not r.stackable
    ]
    # The last spread (lines, their nets before it, its parts): the nets after it are worked
    # out only if a stackable rule over the same lines needs them.
    last: tuple[list[LineState], list[int], list[int]] | None = None
    if exclusive:
        minus_cents, _, _, _, rule, lines = min(exclusive)
        cents = -minus_cents
        if cents > 0:
            applied[rule.id] = cents
            weights = nets[id(lines)]
            last = (lines, weights, _spread_rule(cents, lines, rule.id, weights))
    stacked = [
        (r.priority, -offer(r, base[r.id]), r.id, n, r, lines)
        for n, (r, lines) in enumerate(rules)
        if r.stackable
    ]
    stacked.sort()
    for _, _, _, _, rule, lines in stacked:
        if last is None:
            weights = nets[id(lines)]  # nothing spread yet: the nets listed above
        elif last[0] is lines:
            weights = [w - p for w, p in zip(last[1], last[2], strict=True)]
        else:
            weights = [ls.paid - ls.cut for ls in lines]
        cents = offer(rule, sum(weights))
        if cents:
            applied[rule.id] = cents
            last = (lines, weights, _spread_rule(cents, lines, rule.id, weights))


def _spread_rule(cents: int, lines: list[LineState], key: str, weights: list[int]) -> list[int]:
    """:func:`_spread` of a basket rule over ``lines`` whose nets are ``weights``; returns
    the parts. A basket rule is spread once per sale (ids are unique across the rule sets
    priced together, as ``applied`` assumes too): its cents are set, not added."""
    parts = _parts(cents, lines, weights)
    for ls, part in zip(lines, parts, strict=True):
        if part:
            ls.cut += part
            ls.discounts[key] = part
    return parts


def _spread(cents: int, lines: list[LineState], key: str) -> None:
    """Take voucher ``key``'s ``cents`` off ``lines`` in proportion to their nets."""
    for ls, part in zip(
        lines, _parts(cents, lines, [ls.paid - ls.cut for ls in lines]), strict=True
    ):
        if part:
            ls.cut += part
            explained = ls.vouchers
            if explained is None:
                explained = ls.vouchers = {}
            explained[key] = explained.get(key, 0) + part


def _parts(cents: int, lines: list[LineState], weights: list[int]) -> list[int]:
    """``cents`` split over ``lines`` in proportion to their nets ``weights``, largest
    remainder.

    The split is first over groups of identical lines, then within a group, so splitting a
    line in two moves no cent to another product (which could change its points).
    """
    if all_different(lines):
        return split(cents, weights)  # no two lines alike: the common case
    return _split_by_group(cents, lines, weights)


def all_different(lines: list[LineState]) -> bool:
    """Whether no two of ``lines`` (in rank order, at least one) are identical lines.

    Groups never decrease along the rank order and step by 0 or 1 between adjacent ranks:
    over a run of adjacent ranks (all lines, for a basket-wide rule) the lines all differ
    exactly when the groups step by 1 each time, which needs no set. Otherwise count them.
    """
    first, last = lines[0], lines[-1]
    span = len(lines) - 1
    if last.rank - first.rank == span:
        return last.group - first.group == span
    return len({ls.group for ls in lines}) == len(lines)


def _split_by_group(cents: int, lines: list[LineState], weights: list[int]) -> list[int]:
    """Split over groups of identical lines, then within each group (lines come in rank order,
    so a group's lines are adjacent)."""
    # Each group's net and size, in one pass.
    nets: list[int] = []
    sizes: list[int] = []
    previous = -1
    for ls, weight in zip(lines, weights, strict=True):
        if ls.group == previous:
            nets[-1] += weight
            sizes[-1] += 1
        else:
            previous = ls.group
            nets.append(weight)
            sizes.append(1)
    parts: list[int] = []
    start = 0
    for size, share in zip(sizes, split(cents, nets), strict=True):
        if size == 1:
            parts.append(share)
        else:
            parts += split(share, weights[start : start + size])
        start += size
    return parts


def _vouchers(
    vouchers: Sequence[VoucherApplication], order: list[LineState]
) -> list[VoucherOutcome]:
    if not vouchers:
        return []
    base = sum([ls.paid - ls.cut for ls in order])
    outcomes: list[VoucherOutcome] = []
    for v in vouchers:
        if base < v.min_subtotal.cents:
            outcomes.append(VoucherOutcome(v.voucher_id, v.code, False, 0, "min_subtotal"))
            continue
        current = sum([ls.paid - ls.cut for ls in order])
        if v.percent is not None:
            cents = percent_of(current, ratio(v.percent))
        else:
            assert v.amount is not None
            cents = v.amount.cents
        cents = min(cents, current)
        if cents > 0:
            _spread(cents, order, v.voucher_id)
        outcomes.append(
            VoucherOutcome(
                v.voucher_id, v.code, cents > 0, cents, None if cents else "nothing_left"
            )
        )
    return outcomes


def _result(
    heads: Mapping[str, Head],
    order: list[LineState],
    applied: dict[str, int],
    vouchers: Sequence[VoucherApplication],
    outcomes: list[VoucherOutcome],
    rewards: Rewards,
    store_id: str | None,
    member: MemberContext | None,
    coupons: tuple[CouponOutcome, ...] = (),
) -> PricingResult:
    names = {v.voucher_id: v.name for v in vouchers} if vouchers else {}
    # tuple.__new__ builds the NamedTuples without their Python-level __new__: the same
    # values, a third of the cost, for the few hundred a large basket makes.
    make = tuple.__new__
    # Each line's result goes straight to its basket position (0 … n−1): no sort by position.
    lines: list[LineResult] = [None] * len(order)  # type: ignore[list-item]
    subtotal = total = 0
    for ls in order:
        discounts = ls.discounts
        explained: tuple[Explanation, ...] = ()
        # No comprehension for the usual one to three (a line's item promotion and the
        # sale's one or two basket promotions): a comprehension is a call of its own.
        count = len(discounts)
        if count == 2:
            (rid, c), (rid2, c2) = discounts.items()
            explained = (
                make(Explanation, heads[rid] + (c,)),
                make(Explanation, heads[rid2] + (c2,)),
            )
        elif count == 3:
            (rid, c), (rid2, c2), (rid3, c3) = discounts.items()
            explained = (
                make(Explanation, heads[rid] + (c,)),
                make(Explanation, heads[rid2] + (c2,)),
                make(Explanation, heads[rid3] + (c3,)),
            )
        elif count == 1:
            ((rid, c),) = discounts.items()
            explained = (make(Explanation, heads[rid] + (c,)),)
        elif count:
            explained = tuple([make(Explanation, heads[r] + (n,)) for r, n in discounts.items()])
        if ls.vouchers:
            explained += tuple(
                Explanation("voucher", vid, names[vid], "voucher", Stage.VOUCHER, c)
                for vid, c in ls.vouchers.items()
            )
        line = ls.line
        net = ls.paid - ls.cut
        gross = ls.gross
        subtotal += gross
        total += net
        pos = ls.pos
        lines[pos] = make(
            LineResult,
            (pos, line.sku, line.qty, line.unit_price, line.is_weighed, gross, explained, net),
        )
    summary = [make(AppliedRule, heads[rid] + (c,)) for rid, c in applied.items()]
    summary += [
        AppliedRule(
            "voucher", o.voucher_id, names[o.voucher_id], "voucher", Stage.VOUCHER, o.amount_cents
        )
        for o in outcomes
        if o.applied
    ]
    return make_result(
        tuple(lines),  # lines
        subtotal,  # subtotal_cents
        total,  # total_cents
        rewards,
        tuple(summary),  # applied
        tuple(outcomes),  # vouchers
        store_id,
        None if member is None else member.id,  # member_id
        coupons,
    )
