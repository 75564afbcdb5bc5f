"""Tiers: qualification by eligible spend over a rolling 12 months, not by balance.

Upgrades take effect at once (on the sale that crosses the threshold); downgrades only at the
periodic review, so a shopper is never demoted mid-month by a window sliding past an old
purchase. Thresholds are inclusive (>=). The tier's name feeds ``audience.tiers`` in pricing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from loyalty.money import Money

from .errors import InvalidConfig
from .months import add_months


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: Money  # eligible spend over the window needed to hold this tier


@dataclass(frozen=True)
class TierConfig:
    """``tiers.*`` config keys: the ladder (lowest first, the first at R$ 0), the window in
    months and how often the review runs (``tiers.review_every_months``)."""

    tiers: tuple[Tier, ...]
    window_months: int = 12
    review_every_months: int = 1

    def __post_init__(self) -> None:
        if not self.tiers or self.tiers[0].threshold.amount != 0:
            raise InvalidConfig("tiers: the first tier must have threshold 0")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise InvalidConfig(f"tiers: duplicate tier name in {names}")
        for low, high in zip(self.tiers, self.tiers[1:], strict=False):
            if not low.threshold < high.threshold:
                raise InvalidConfig(
                    f"tiers: thresholds must increase: {low.name} {low.threshold} "
                    f">= {high.name} {high.threshold}"
                )
        if self.window_months < 1:
            raise InvalidConfig(f"tiers.window_months must be >= 1: {self.window_months}")
        if self.review_every_months < 1:
            raise InvalidConfig(
                f"tiers.review_every_months must be >= 1: {self.review_every_months}"
            )

    def review_due(self, last_review: datetime, at: datetime) -> bool:
        """Whether the periodic review (the only time a tier goes down) is due at ``at``."""
        return at >= add_months(last_review, self.review_every_months)

    def rank(self, name: str) -> int:
        for i, t in enumerate(self.tiers):
            if t.name == name:
                return i
        raise InvalidConfig(f"unknown tier {name!r}", f"nível desconhecido {name!r}")

    def tier_for(self, spend: Money) -> Tier:
        """The highest tier whose threshold ``spend`` reaches."""
        found = self.tiers[0]
        for t in self.tiers:
            if spend >= t.threshold:
                found = t
        return found


@dataclass(frozen=True)
class Spend:
    """Eligible spend of one sale (negative for a refund, dated at the refund)."""

    at: datetime
    amount: Money


def qualifying_spend(spends: Iterable[Spend], at: datetime, window_months: int = 12) -> Money:
    """Eligible spend in the window ``(at - window_months, at]``."""
    start = add_months(at, -window_months)
    total = Money.zero()
    for s in spends:
        if start < s.at <= at:
            total = total + s.amount
    return total


@dataclass(frozen=True)
class TierStatus:
    tier: str
    qualifying_spend: Money
    next_tier: str | None
    to_next: Money | None  # what is left to spend to reach it


def _status(config: TierConfig, tier: Tier, spend: Money) -> TierStatus:
    i = config.rank(tier.name)
    if i + 1 >= len(config.tiers):
        return TierStatus(tier.name, spend, None, None)
    nxt = config.tiers[i + 1]
    return TierStatus(tier.name, spend, nxt.name, max(nxt.threshold - spend, Money.zero()))


def after_sale(
    config: TierConfig, current: str, spends: Sequence[Spend], at: datetime
) -> TierStatus:
    """The tier after a sale: higher if the spend now reaches one, never lower."""
    spend = qualifying_spend(spends, at, config.window_months)
    earned = config.tier_for(spend)
    keep = config.tiers[config.rank(current)]
    return _status(
        config, earned if config.rank(earned.name) > config.rank(keep.name) else keep, spend
    )


def review(config: TierConfig, current: str, spends: Sequence[Spend], at: datetime) -> TierStatus:
    """The periodic review: the tier the spend earns, up or down."""
    config.rank(current)  # an unknown current tier is a config error, not a silent reset
    spend = qualifying_spend(spends, at, config.window_months)
    return _status(config, config.tier_for(spend), spend)
