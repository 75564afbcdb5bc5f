"""A sale's points and cashback tenders: the shared BRL caps and the redemption order.

Points and cashback share two caps in BRL (``offline.max_redeem_per_sale_brl`` and
``offline.max_redeem_per_member_day_brl`` at the till): what one currency redeemed, in this
sale and today, is taken off what the other may redeem. At finalise points are redeemed
first, on the sale's total, and cashback on what the points left due. The till applies these
functions when a tender is given and when the sale is recorded; the server re-checks a pushed
sale with :mod:`loyalty.rewards.sale_check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from loyalty.money import Money

from .balances import balance
from .cashback import CashbackConfig, redeem_cashback
from .ledger import Currency, EntryKind, LedgerEntry
from .offline_caps import OfflineAllowance, OfflineCaps, offline_redeemable
from .points import PointsConfig, redeem_points

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RedeemCaps:
    """The BRL caps points and cashback share: per sale and per member per local day."""

    per_sale: Money
    per_member_day: Money


def redeemed_since(entries: Iterable[LedgerEntry], currency: Currency, since: datetime) -> Decimal:
    """How much of ``currency`` the entries redeemed at or after ``since`` (a positive amount)."""
    return -sum(
        (
            e.amount
            for e in entries
            if e.currency is currency and e.kind is EntryKind.REDEEM and e.effective_at >= since
        ),
        _ZERO,
    )


def brl_value(currency: Currency, amount: Decimal, points: PointsConfig) -> Decimal:
    """What ``amount`` of ``currency`` pays, in BRL (points round down to the cent)."""
    if currency is Currency.POINTS:
        return points.value_of(int(amount)).amount if amount else _ZERO
    return amount


def tender_allowance(
    currency: Currency,
    *,
    caps: RedeemCaps,
    points_config: PointsConfig,
    cashback_config: CashbackConfig,
    server: Sequence[LedgerEntry],
    local: Sequence[LedgerEntry],
    at: datetime,
    day_start: datetime,
    amount_due: Money,
    points_in_sale: int,
    cashback_in_sale: Money,
) -> OfflineAllowance:
    """The most of ``currency`` this sale may redeem now, and the bound that decided it.

    The other currency's share (given in this sale, and redeemed today by the member) is taken
    off both BRL caps before :func:`offline_redeemable` applies them in ``currency``'s unit.

    :param server: the member's entries the server sent; ``local``: this till's, not yet
        acknowledged. ``day_start``: the start of the store's local day containing ``at``.
    """
    other = Currency.CASHBACK if currency is Currency.POINTS else Currency.POINTS
    other_today = brl_value(
        other, redeemed_since([*server, *local], other, day_start), points_config
    )
    if other is Currency.POINTS:
        other_sale = brl_value(other, Decimal(points_in_sale), points_config)
    else:
        other_sale = cashback_in_sale.amount
    per_sale = max(caps.per_sale.amount - other_sale, _ZERO)
    per_day = max(caps.per_member_day.amount - other_today, _ZERO)
    if currency is Currency.POINTS:
        mine = OfflineCaps(
            Decimal(points_config.points_for(Money(per_sale))),
            Decimal(points_config.points_for(Money(per_day))),
        )
    else:
        mine = OfflineCaps(per_sale, per_day)
    return offline_redeemable(
        currency=currency,
        server_available=balance(server, currency, at).available,
        local_entries=local,
        caps=mine,
        at=at,
        day_start=day_start,
        amount_due=amount_due,
        points_config=points_config,
        cashback_config=cashback_config,
        server_redeemed_today=redeemed_since(server, currency, day_start),
    )


@dataclass(frozen=True, slots=True)
class SaleRedemption:
    """The redeem entries of one sale, and what the points paid."""

    entries: tuple[LedgerEntry, ...]
    points_value: Money


def redeem_for_sale(
    ledger: Sequence[LedgerEntry],
    *,
    points: int,
    cashback: Money,
    total: Money,
    points_config: PointsConfig,
    cashback_config: CashbackConfig,
    member_id: str,
    at: datetime,
    new_id: Callable[[], str],
    sale_id: str,
    store_id: str | None = None,
    terminal_id: str | None = None,
) -> SaleRedemption:
    """Redeem a sale's tenders in the one order: points on ``total``, then cashback on the rest.

    Each draws first-expiring-first-out (:func:`loyalty.rewards.redemption.redeem_entries`).

    :raises RedemptionError, InsufficientBalance: a tender the balance or the amount due no
        longer covers.
    """
    entries: list[LedgerEntry] = []
    points_value = Money.zero()
    due = total
    if points:
        redemption = redeem_points(
            ledger,
            points=points,
            amount_due=due,
            config=points_config,
            member_id=member_id,
            at=at,
            new_id=new_id,
            sale_id=sale_id,
            store_id=store_id,
            terminal_id=terminal_id,
        )
        entries += redemption.entries
        points_value = redemption.value
        due = due - points_value
    if cashback.amount:
        entries += redeem_cashback(
            ledger,
            amount=cashback,
            amount_due=due,
            config=cashback_config,
            member_id=member_id,
            at=at,
            new_id=new_id,
            sale_id=sale_id,
            store_id=store_id,
            terminal_id=terminal_id,
        )
    return SaleRedemption(tuple(entries), points_value)
