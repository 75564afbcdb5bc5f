"""How much a member may redeem now: balance, amount due and the offline caps, shared in BRL."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from decimal import Decimal

from loyalty.money import Money
from loyalty.rewards import Currency, LedgerEntry, OfflineCaps, balance, offline_redeemable
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
) -> tuple[Decimal, str]:
    """The most of ``currency`` this sale may redeem now, and the bound that decided it.

    The caps are in BRL and shared by points and cashback: what the other currency
    redeemed (in this sale, and today for this member) is taken off before the engine's
    per-currency :func:`offline_redeemable` applies them.
    """
    day_start = datetime.combine(at.astimezone(zone).date(), time(), zone)

    def redeemed_today(entries: list[LedgerEntry], cur: Currency) -> Decimal:
        return -sum(
            (
                e.amount
                for e in entries
                if e.currency is cur and e.kind.value == "redeem" and e.effective_at >= day_start
            ),
            Decimal(0),
        )

    other = Currency.CASHBACK if currency is Currency.POINTS else Currency.POINTS
    other_today = redeemed_today(server + local, other)
    if other is Currency.POINTS:
        other_brl = settings.points.value_of(int(other_today)).amount
        other_sale = settings.points.value_of(sale.points).amount if sale.points else Decimal(0)
    else:
        other_brl, other_sale = other_today, sale.cashback.amount
    per_sale = max(settings.max_redeem_per_sale.amount - other_sale, Decimal(0))
    per_day = max(settings.max_redeem_per_member_day.amount - other_brl, Decimal(0))
    if currency is Currency.POINTS:
        caps = OfflineCaps(
            Decimal(settings.points.points_for(Money(per_sale))),
            Decimal(settings.points.points_for(Money(per_day))),
        )
    else:
        caps = OfflineCaps(per_sale, per_day)
    allowance = offline_redeemable(
        currency=currency,
        server_available=balance(server, currency, at).available,
        local_entries=local,
        caps=caps,
        at=at,
        day_start=day_start,
        amount_due=due,
        points_config=settings.points,
        cashback_config=settings.cashback,
        server_redeemed_today=redeemed_today(server, currency),
    )
    reason = {
        CapReason.BALANCE: "balance",
        CapReason.PER_SALE: "limit per sale",
        CapReason.PER_MEMBER_DAY: "limit per member per day",
        CapReason.AMOUNT_DUE: "amount due",
    }[allowance.limited_by]
    return allowance.max_redeemable, reason
