"""The sale flow's settings and the state of one open sale (in memory until finalised)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.bounds import DEFAULT_BOUNDS, Bounds
from loyalty.identification import IdentificationConfig
from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, PricingResult
from loyalty.rewards import CashbackConfig, PointsConfig, Voucher

from ..cache import CachedMember


@dataclass(frozen=True)
class SaleSettings:
    store_id: str
    terminal_id: str
    timezone: str
    identification: IdentificationConfig
    cpf_secret: bytes | None
    points: PointsConfig
    cashback: CashbackConfig
    max_redeem_per_sale: Money
    max_redeem_per_member_day: Money
    bounds: Bounds = DEFAULT_BOUNDS  # the [limits] of the agent's config


@dataclass
class OpenSale:
    pos_id: str
    member: CachedMember | None = None
    card: str | None = None
    basket: tuple[BasketLine, ...] = ()
    names: tuple[str | None, ...] = ()  # per basket line, from the synced catalogue
    vouchers: list[Voucher] = field(default_factory=list)
    points: int = 0
    cashback: Money = field(default_factory=Money.zero)
    result: PricingResult | None = None
    at: datetime | None = None
    # The last quote and what it was built from (compared by identity: result, points,
    # cashback, names), reused until one of them is replaced.
    quote: tuple[tuple[object, ...], dict[str, Any]] | None = None
    context: MemberContext | None = None  # what the basket was priced with
    coupons: tuple[str, ...] = ()  # rule coupon codes presented (upper case), kept on re-pricing
