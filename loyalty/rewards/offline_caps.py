"""What a member may redeem at a till that cannot reach the server (DESIGN.md invariant 4).

The till knows the server's last balance and its own entries the server has not acknowledged
yet. The member may redeem the smallest of: that known balance, the configured cap per sale,
what is left of the cap per member per day, and what would pay the amount due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import Enum

from loyalty.money import Money

from .cashback import CashbackConfig, max_cashback_redeemable
from .errors import InvalidConfig
from .ledger import Currency, EntryKind, LedgerEntry
from .points import PointsConfig, max_points_redeemable

_ZERO = Decimal(0)


class CapReason(Enum):
    """Which bound decided the offline allowance."""

    BALANCE = "balance"
    PER_SALE = "per_sale"
    PER_MEMBER_DAY = "per_member_day"
    AMOUNT_DUE = "amount_due"


@dataclass(frozen=True, slots=True)
class OfflineCaps:
    """``offline.<currency>.per_sale`` and ``.per_member_day`` (points or BRL); ``None``: no cap."""

    per_sale: Decimal | None = None
    per_member_day: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("per_sale", "per_member_day"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or value < 0):
                raise InvalidConfig(f"offline.{name} must be a Decimal >= 0: {value!r}")


@dataclass(frozen=True, slots=True)
class OfflineAllowance:
    max_redeemable: Decimal  # whole points, or BRL cents
    known_available: Decimal
    used_today: Decimal
    limited_by: CapReason


def offline_redeemable(
    *,
    currency: Currency,
    server_available: Decimal,
    local_entries: Iterable[LedgerEntry],
    caps: OfflineCaps,
    at: datetime,
    day_start: datetime,
    amount_due: Money,
    points_config: PointsConfig,
    cashback_config: CashbackConfig,
    server_redeemed_today: Decimal = _ZERO,
) -> OfflineAllowance:
    """The most the member may redeem now, offline, and which bound decided it.

    :param server_available: the available balance in the server's last answer.
    :param local_entries: this till's entries for the member not yet acknowledged.
    :param day_start: the start of the store's local day containing ``at``.
    :param server_redeemed_today: what the server said the member redeemed today.
    """
    known = server_available
    used = server_redeemed_today
    redeem = EntryKind.REDEEM
    for e in local_entries:
        if e.currency is not currency or e.effective_at > at:
            continue
        amount = e.amount
        if e.available_at is not None and amount > _ZERO and e.available_at > at:
            continue  # pending cashback earned offline is not spendable yet
        known += amount
        if e.kind is redeem and e.effective_at >= day_start:
            used -= amount
    if currency is Currency.POINTS:
        due = Decimal(max_points_redeemable(Decimal(10**15), amount_due, points_config))
    else:
        due = max_cashback_redeemable(Decimal(10**15), amount_due, cashback_config).amount
    bounds = [(max(known, _ZERO), CapReason.BALANCE)]
    if caps.per_sale is not None:
        bounds.append((caps.per_sale, CapReason.PER_SALE))
    if caps.per_member_day is not None:
        bounds.append((max(caps.per_member_day - used, _ZERO), CapReason.PER_MEMBER_DAY))
    bounds.append((due, CapReason.AMOUNT_DUE))
    value, reason = min(bounds, key=lambda b: b[0])  # ties go to the earlier bound
    exp = Decimal(1) if currency is Currency.POINTS else Decimal("0.01")
    return OfflineAllowance(value.quantize(exp, rounding=ROUND_FLOOR), known, used, reason)
