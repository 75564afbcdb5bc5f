"""The earning stage (kind 8): points, cashback and raffle tickets on the net amount paid.

Earning needs an identified member (an anonymous sale earns nothing: there is nobody to credit).
Each rule pools the net of all its eligible lines, so splitting lines changes nothing:
``points`` = floor(net / per_amount) × points; ``raffle`` = floor(net / per_amount) tickets;
``cashback`` = net × percent, half-up to the cent; ``points_bonus`` = points × eligible units
priced above zero after item promotions; ``points_multiplier`` adds floor(B × (factor − 1)),
where B is what the ``points`` rules give on the lines it covers. A line takes the best
non-stackable multiplier and every stackable one.
"""

from __future__ import annotations

from ..rewards.currency import EARNING_KINDS, Earns
from .arith import percent_of
from .result import RewardDetail, Rewards, make_rewards, reward_detail
from .rules import (
    Cashback,
    Points,
    PointsBonus,
    PointsMultiplier,
    Raffle,
    Rule,
    RuleKind,
)
from .state import LineState

RuleLines = tuple[Rule, list[LineState]]


def earn(rules: list[RuleLines]) -> Rewards:
    """The rewards the live earning ``rules`` give on the lines' final net amounts."""
    details: list[RewardDetail] = []
    tickets: dict[str, int] = {}
    points_rules: list[tuple[Points, list[LineState]]] = []
    multipliers: list[RuleLines] = []
    # Rules over every line share one list (``candidates``): its net is summed once.
    nets: dict[int, int] = {}
    # By (priority, id), as plain tuples (no key function per rule); ``n`` is unique.
    for _, _, _, rule, lines in sorted(
        [(r.priority, r.id, n, r, ls) for n, (r, ls) in enumerate(rules)]
    ):
        p = rule.params
        paid = nets.get(id(lines), -1)
        if paid < 0:
            paid = nets[id(lines)] = sum([ls.paid - ls.cut for ls in lines])  # never negative
        amount = 0
        campaign = None
        if isinstance(p, Points):
            amount = paid // p.per_cents * p.points
            points_rules.append((p, lines))
        elif isinstance(p, PointsBonus):
            # Units paid for: priced above zero after item promotions (a free unit earns no
            # bonus). Counted per unit, not per line, so splitting a line changes nothing.
            units = sum([t[0] for ls in lines for t in ls.tranches if t[1] > 0])
            if rule.max_units_per_sale is not None:
                units = min(units, rule.max_units_per_sale)
            amount = units * p.points
        elif isinstance(p, Cashback):
            amount = percent_of(paid, p.percent_ratio)
        elif isinstance(p, Raffle):
            amount = paid // p.per_cents
            campaign = p.campaign
            tickets[campaign] = tickets.get(campaign, 0) + amount
        elif isinstance(p, PointsMultiplier):
            multipliers.append((rule, lines))
            continue
        if amount:
            details.append(reward_detail(rule.id, rule.name, rule.kind, amount, campaign))
    # With at most one non-stackable multiplier, each multiplier holds every line it covers.
    contested = sum([not rule.stackable for rule, _ in multipliers]) > 1
    details.extend(multiplied(multipliers, points_rules, nets, contested=contested))
    # What each kind earns is the rewards core's table, read here and by every consumer
    # (``_EARNS``: that table keyed by the kinds themselves, made once).
    points = cashback = 0
    for d in details:
        earns = _EARNS[d.kind]
        if earns is _POINTS:  # module constants: an enum member read from its class is dear
            points += d.amount
        elif earns is _CASHBACK:
            cashback += d.amount
    return make_rewards(
        points, cashback, tuple(sorted([(c, n) for c, n in tickets.items() if n])), tuple(details)
    )


_POINTS, _CASHBACK = Earns.POINTS, Earns.CASHBACK
# EARNING_KINDS by RuleKind: a kind hashes by identity, where its ``value`` is a descriptor.
_EARNS = {kind: EARNING_KINDS[kind.value] for kind in RuleKind if kind.value in EARNING_KINDS}


def multiplied(
    multipliers: list[RuleLines],
    points_rules: list[tuple[Points, list[LineState]]],
    nets: dict[int, int],
    *,
    contested: bool = True,
) -> list[RewardDetail]:
    """The multipliers' extra points; ``nets``: each points rule's lines' net, by ``id``.

    ``contested=False`` (at most one non-stackable multiplier) skips deciding which
    multiplier holds each line: each then holds all of its lines.
    """
    if not multipliers or not points_rules:
        return []
    best: dict[int, Rule] = {}  # line -> the best non-stackable multiplier on it
    for rule, lines in multipliers if contested else ():
        if rule.stackable:
            continue
        assert isinstance(rule.params, PointsMultiplier)
        for ls in lines:
            held = best.get(ls.pos)
            if held is None or _better(rule, held):
                best[ls.pos] = rule
    out: list[RewardDetail] = []
    for rule, lines in multipliers:
        assert isinstance(rule.params, PointsMultiplier)
        mine: set[int] | None = None
        whole = True  # the multiplier holds every line it covers
        if contested:
            mine = {ls.pos for ls in lines if rule.stackable or best.get(ls.pos) is rule}
            whole = len(mine) == len(lines)
        base = 0
        for p, covered in points_rules:
            if whole and covered is lines:
                net = nets[id(covered)]  # the same lines, summed above
            else:
                if mine is None:
                    mine = {ls.pos for ls in lines}
                net = sum([ls.paid - ls.cut for ls in covered if ls.pos in mine])
            base += net // p.per_cents * p.points
        num, den = rule.params.factor_ratio
        extra = base * (num - den) // den
        if extra:
            out.append(reward_detail(rule.id, rule.name, rule.kind, extra))
    return out


def _better(rule: Rule, held: Rule) -> bool:
    a, b = rule.params, held.params
    assert isinstance(a, PointsMultiplier)
    assert isinstance(b, PointsMultiplier)
    return (-a.factor, rule.priority, rule.id) < (-b.factor, held.priority, held.id)
