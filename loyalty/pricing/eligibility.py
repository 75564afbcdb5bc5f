"""Whether a rule is live for this sale: its time window, audience, activation and coupon.

Stores are settled by the index (a store only sees its rules). Times are compared in the store's
local time: ``local`` is the sale time converted to the store's zone, without its tzinfo.
"""

from __future__ import annotations

from datetime import datetime

from .basket import MemberContext
from .rules import Rule, Validity


def within(valid: Validity, at: datetime, local: datetime) -> bool:
    """Whether ``at`` (aware) / ``local`` (naive, store time) falls in ``valid``'s window."""
    if valid.always:
        return True
    starts, ends = valid.starts, valid.ends
    if starts is not None and (at if starts.tzinfo else local) < starts:
        return False
    if ends is not None and (at if ends.tzinfo else local) >= ends:
        return False
    if valid.weekdays and local.isoweekday() not in valid.weekdays:
        return False
    if valid.hours is not None:
        start, end = valid.hours
        now = local.time()
        if end is None:
            return now >= start
        if start < end:
            return start <= now < end
        return now >= start or now < end  # wraps past midnight: 22:00–02:00
    return True


def live(
    rule: Rule,
    member: MemberContext | None,
    coupons: frozenset[str],
    at: datetime,
    local: datetime,
) -> bool:
    """Whether ``rule`` may fire in this sale (not yet whether any line is in its scope)."""
    if rule.coupon is not None and rule.coupon not in coupons:
        return False
    audience = rule.audience
    if member is None:
        if audience.needs_member or rule.requires_activation:
            return False
    else:
        if rule.requires_activation and rule.id not in member.activated_offers:
            return False
        if audience.tiers and member.tier not in audience.tiers:
            return False
        if audience.segments and audience.segments.isdisjoint(member.segments):
            return False
        if audience.member_ids and member.id not in audience.member_ids:
            return False
    return within(rule.valid, at, local)
