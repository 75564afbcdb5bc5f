"""The explanation of each coupon code presented at the till: the rules it fired, or why none."""

from __future__ import annotations

from datetime import datetime

from .basket import MemberContext
from .eligibility import live
from .index import RuleSet
from .result import CouponOutcome, Rewards
from .rules import Rule, Stage


def explain_coupons(
    sets: tuple[RuleSet, ...],
    codes: frozenset[str],
    member: MemberContext | None,
    store_id: str | None,
    at: datetime,
    local: datetime,
    applied: dict[str, int],
    rewards: Rewards,
) -> tuple[CouponOutcome, ...]:
    """Explain each presented code: the rules it fired, or why it fired none."""
    out: list[CouponOutcome] = []
    for code in sorted(codes):
        rules = [r for rs in sets for r in rs.by_coupon.get(code, ())]
        fired = tuple([r.id for r in rules if r.id in applied or _earned(r, rewards)])
        if fired:
            cents = sum([applied.get(rid, 0) for rid in fired])
            out.append(CouponOutcome(code, fired, cents))
            continue
        if not rules:
            reason = "unknown"
        elif any(_live_here(r, member, codes, store_id, at, local) for r in rules):
            reason = "nothing_to_discount"
        else:
            reason = "not_live"
        out.append(CouponOutcome(code, (), 0, reason))
    return tuple(out)


def _earned(rule: Rule, rewards: Rewards) -> bool:
    """Whether earning ``rule`` gave a reward (asked only of rules that took no cents off)."""
    return rule.stage is _EARNING and any(d.rule == rule.id for d in rewards.details)


_EARNING = Stage.EARNING  # a module constant: an enum member read from its class is dear


def _live_here(
    rule: Rule,
    member: MemberContext | None,
    codes: frozenset[str],
    store_id: str | None,
    at: datetime,
    local: datetime,
) -> bool:
    stores = rule.valid.stores
    if stores and (store_id is None or store_id not in stores):
        return False
    return live(rule, member, codes, at, local)
