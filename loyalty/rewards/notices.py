"""What of a member's balance expires soon: the amounts, by currency and expiry, still left.

The advance-notice job lists them for the messages feature, and the admin member page and the
member portal show them ("expira em ..."). Only what is spendable and still left counts: spent
or already written-off lots, and pending cashback, are not announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .ledger import Currency, LedgerEntry
from .lots import fold


@dataclass(frozen=True, slots=True)
class Expiring:
    """``amount`` of ``currency`` that expires at ``expires_at`` unless spent before."""

    currency: Currency
    expires_at: datetime
    amount: Decimal


def upcoming_expiries(
    entries: Iterable[LedgerEntry], at: datetime, until: datetime
) -> list[Expiring]:
    """The amounts that expire in ``(at, until]``, by currency and moment, soonest first."""
    listed = list(entries)
    out: dict[tuple[Currency, datetime], Decimal] = {}
    for currency in Currency:
        mine = [e for e in listed if e.currency is currency]
        if not mine:
            continue
        for lot in fold(mine, currency, at).lots:
            exp = lot.entry.expires_at
            if lot.available and lot.remaining > 0 and exp is not None and at < exp <= until:
                key = (currency, exp)
                out[key] = out.get(key, Decimal(0)) + lot.remaining
    rows = [Expiring(c, when, amount) for (c, when), amount in out.items()]
    return sorted(rows, key=lambda x: (x.expires_at, x.currency.value))
