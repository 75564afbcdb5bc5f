"""A member's tier as head office sees it: the tier the tills apply and what the spend earns.

The stored tier (``members.tier``) is what the tier review job gave the member and what the
tills price with (:mod:`server.services.tiers`). Beside it the page shows the tier the
qualifying spend earns today (what a full review would give now) and how much is left to the
next one, computed with the same window and sums as the job. Without the chain setting
``tiers`` (or with a malformed one) the page says the chain has no ladder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from loyalty.money import Money
from loyalty.rewards.tiers import Spend, TierConfig, TierStatus, review

from ..models import Member
from .tiers import TierLadderError, load_ladder, spends_of, window_start


@dataclass(frozen=True)
class MemberTier:
    """What the page shows: the earned status plus the stored tier and its last review."""

    earned: TierStatus
    stored: str | None
    reviewed_at: dt.datetime | None

    # The template reads the earned status as ``p.tier.tier`` etc.
    @property
    def tier(self) -> str:
        return self.earned.tier

    @property
    def next_tier(self) -> str | None:
        return self.earned.next_tier

    @property
    def to_next(self) -> Money | None:
        return self.earned.to_next


def ladder(session: Session) -> TierConfig | None:
    """The chain's tier ladder, or ``None`` when unset or malformed."""
    try:
        return load_ladder(session)
    except TierLadderError:
        return None


def status(session: Session, member_id: str, at: dt.datetime) -> MemberTier | None:
    config = ladder(session)
    member = session.get(Member, member_id)
    if config is None or member is None:
        return None
    spend = spends_of(session, [member_id], window_start(config, at), at).get(member_id, 0)
    earned = review(config, config.tiers[0].name, [Spend(at, Money(spend))], at)
    return MemberTier(earned, member.tier, member.tier_reviewed_at)
