"""A member's balance in one currency: available, pending and expiring soon, from the fold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from .ledger import Currency, LedgerEntry
from .lots import replay

EXPIRING_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Balances:
    """Balances at one moment. ``available + pending`` is the sum of the effective entries.

    :param available: spendable now (may be negative after a refund of spent points).
    :param pending: cashback (or points) earned but not yet matured.
    :param expiring_30d: part of ``available`` whose lots expire within 30 days (or already
        expired but not yet written off by the expiry job).
    """

    available: Decimal
    pending: Decimal
    expiring_30d: Decimal

    @property
    def total(self) -> Decimal:
        return self.available + self.pending


def balance(entries: Iterable[LedgerEntry], currency: Currency, at: datetime) -> Balances:
    """Fold ``entries`` (any order, duplicates by id counted once) into balances at ``at``.

    :raises LedgerConflict: if one id names two different entries.
    """
    r = replay(entries, currency, at)
    horizon = at + EXPIRING_WINDOW
    total = sum(r.rem, Decimal(0))
    pending_lots = r.pending()
    pending = sum([r.rem[i] for i in pending_lots], Decimal(0))
    expiring = sum([x for x, e in zip(r.rem, r.exp, strict=True) if e <= horizon], Decimal(0))
    expiring -= sum([r.rem[i] for i in pending_lots if r.exp[i] <= horizon], Decimal(0))
    return Balances(total - pending - r.deficit, pending, expiring)
