"""How much a member may redeem now: the core's shared BRL caps, with this till's settings."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from decimal import Decimal

from loyalty.money import Money
from loyalty.rewards import Currency, LedgerEntry, RedeemCaps, tender_allowance
from loyalty.rewards.offline_caps import CapReason

from .state import OpenSale, SaleSettings


def allowance(
    settings: SaleSettings,
    sale: OpenSale,
    currency: Currency,
    due: Money,
    server: list[LedgerEntry],
    local: list[LedgerEntry],
    at: datetime,
    zone: tzinfo,
) -> tuple[Decimal, CapReason]:
    """The most of ``currency`` this sale may redeem now, and the bound that decided it (its
    words for the cashier: :func:`agent.sale.wording.cap_reason`).

    The caps are in BRL and shared by points and cashback (``loyalty.rewards.tender_allowance``);
    the day is the store's local day.
    """
    day_start = datetime.combine(at.astimezone(zone).date(), time(), zone)
    found = tender_allowance(
        currency,
        caps=RedeemCaps(settings.max_redeem_per_sale, settings.max_redeem_per_member_day),
        points_config=settings.points,
        cashback_config=settings.cashback,
        server=server,
        local=local,
        at=at,
        day_start=day_start,
        amount_due=due,
        points_in_sale=sale.points,
        cashback_in_sale=sale.cashback,
    )
    return found.max_redeemable, found.limited_by
