"""Usage limits and budgets on any rule: per member per day or campaign, per store, in total.

The till enforces a limit with what it knows (the server's last counts plus its own uses not
yet acknowledged) by not applying the rule once the limit is reached. The server, which sees
every till, replays all uses in sale order and reports each overrun caused by offline tills;
an overrun never undoes a sale that was paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from .errors import InvalidConfig

_ZERO = Decimal(0)


class LimitScope(Enum):
    MEMBER_DAY = "member_day"
    MEMBER_CAMPAIGN = "member_campaign"
    STORE = "store"
    TOTAL = "total"


class LimitUnit(Enum):
    USES = "uses"  # each application counts 1
    BRL = "brl"  # the discount or cashback given, in BRL
    UNITS = "units"  # points or raffle numbers given


@dataclass(frozen=True)
class UsageLimit:
    limit_id: str
    rule_id: str
    scope: LimitScope
    unit: LimitUnit
    maximum: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.maximum, Decimal) or self.maximum < 0:
            raise InvalidConfig(f"limit {self.limit_id!r}: maximum must be a Decimal >= 0")


@dataclass(frozen=True)
class RuleUse:
    """One application of a rule to a sale. ``day`` is the store's local calendar day."""

    use_id: str
    rule_id: str
    member_id: str | None
    store_id: str
    at: datetime
    day: date
    value: Decimal = Decimal(1)  # BRL or units given; USES limits count 1 whatever it is


def usage_key(limit: UsageLimit, member_id: str | None, store_id: str, day: date) -> str | None:
    """The counter a use adds to (``None``: a member limit on an anonymous sale)."""
    if limit.scope is LimitScope.MEMBER_DAY:
        return None if member_id is None else f"{limit.limit_id}|{member_id}|{day.isoformat()}"
    if limit.scope is LimitScope.MEMBER_CAMPAIGN:
        return None if member_id is None else f"{limit.limit_id}|{member_id}"
    if limit.scope is LimitScope.STORE:
        return f"{limit.limit_id}|{store_id}"
    return limit.limit_id


def _counted(limit: UsageLimit, use: RuleUse) -> Decimal:
    return Decimal(1) if limit.unit is LimitUnit.USES else use.value


@dataclass(frozen=True)
class Headroom:
    """What the till may still give under a rule's limits (``None``: unlimited)."""

    allowed: bool
    left: Mapping[str, Decimal]  # per limit id: uses, BRL or units left
    binding: str | None  # the limit id that is exhausted or tightest


def headroom(
    limits: Sequence[UsageLimit],
    *,
    rule_id: str,
    member_id: str | None,
    store_id: str,
    day: date,
    known: Mapping[str, Decimal],
    local_uses: Iterable[RuleUse] = (),
) -> Headroom:
    """Whether the till may apply ``rule_id`` now, from what it knows.

    :param known: the server's last counts per :func:`usage_key`.
    :param local_uses: this till's uses not yet acknowledged by the server.
    """
    local = list(local_uses)
    left: dict[str, Decimal] = {}
    binding: str | None = None
    for limit in limits:
        if limit.rule_id != rule_id:
            continue
        key = usage_key(limit, member_id, store_id, day)
        if key is None:
            continue
        used = known.get(key, _ZERO) + sum(
            (
                _counted(limit, u)
                for u in local
                if u.rule_id == rule_id and usage_key(limit, u.member_id, u.store_id, u.day) == key
            ),
            _ZERO,
        )
        left[limit.limit_id] = max(limit.maximum - used, _ZERO)
        if binding is None or left[limit.limit_id] < left[binding]:
            binding = limit.limit_id
    allowed = all(v > 0 for v in left.values())
    return Headroom(allowed, left, binding)


@dataclass(frozen=True)
class Overrun:
    """A use that took a counter past its limit (reported; the sale stands)."""

    limit_id: str
    key: str
    use: RuleUse
    total_after: Decimal
    excess: Decimal


def find_overruns(limits: Sequence[UsageLimit], uses: Iterable[RuleUse]) -> list[Overrun]:
    """Server side: replay every use (deduplicated by id) in sale order and list the overruns."""
    unique = {u.use_id: u for u in uses}
    counts: dict[str, Decimal] = {}
    found: list[Overrun] = []
    for use in sorted(unique.values(), key=lambda u: (u.at, u.use_id)):
        for limit in limits:
            if limit.rule_id != use.rule_id:
                continue
            key = usage_key(limit, use.member_id, use.store_id, use.day)
            if key is None:
                continue
            before = counts.get(key, _ZERO)
            after = before + _counted(limit, use)
            counts[key] = after
            if after > limit.maximum:
                excess = after - max(before, limit.maximum)
                found.append(Overrun(limit.limit_id, key, use, after, excess))
    return found


def counts(limits: Sequence[UsageLimit], uses: Iterable[RuleUse]) -> dict[str, Decimal]:
    """The counters the server sends to tills: totals per :func:`usage_key`."""
    result: dict[str, Decimal] = {}
    for use in {u.use_id: u for u in uses}.values():
        for limit in limits:
            if limit.rule_id != use.rule_id:
                continue
            key = usage_key(limit, use.member_id, use.store_id, use.day)
            if key is not None:
                result[key] = result.get(key, _ZERO) + _counted(limit, use)
    return result
