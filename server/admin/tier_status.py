"""A member's tier as head office sees it: the rewards core's tier ladder applied to the
member's recorded sales over the qualifying window.

The ladder is the chain setting ``tiers`` (``chain_settings`` row), e.g.
``{"window_months": 12, "tiers": [{"name": "classic", "threshold": "0"},
{"name": "gold", "threshold": "2000.00"}]}``. The server keeps no tier state: the page shows
the tier the spend earns today (what the periodic review gives), and how much is left to the
next one. Without the setting the page says the chain has no ladder.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.rewards.tiers import Spend, Tier, TierConfig, TierStatus, review

from ..models import ChainSetting, Sale


def ladder(session: Session) -> TierConfig | None:
    """The chain's tier ladder, or ``None`` when unset or malformed."""
    row = session.get(ChainSetting, "tiers")
    if row is None or not isinstance(row.value, dict):
        return None
    try:
        tiers = tuple(
            Tier(str(t["name"]), Money(Decimal(str(t["threshold"])))) for t in row.value["tiers"]
        )
        return TierConfig(tiers, int(row.value.get("window_months", 12)))
    except (KeyError, TypeError, ValueError, ArithmeticError, LoyaltyError):
        return None


def status(session: Session, member_id: str, at: dt.datetime) -> TierStatus | None:
    config = ladder(session)
    if config is None:
        return None
    rows = session.execute(select(Sale.occurred_at, Sale.total).where(Sale.member_id == member_id))
    spends = [Spend(when, Money(total)) for when, total in rows]
    return review(config, config.tiers[0].name, spends, at)
