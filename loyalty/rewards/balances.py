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
    """Balances at one moment. ``available + pending + expired`` is the sum of the effective
    entries.

    :param available: spendable now (may be negative after a refund of spent points).
    :param pending: cashback (or points) earned but not yet matured.
    :param expiring_30d: part of ``available`` whose lots expire within 30 days.
    :param expired: what is left of lots past their expiry that the expiry job has not written
        off yet: never spendable (the till refuses it before the server's job has run).

    .. versionchanged:: 0.1
        A lot past its expiry no longer counts in ``available`` (it is in ``expired``).
    """

    available: Decimal
    pending: Decimal
    expiring_30d: Decimal
    expired: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.available + self.pending + self.expired


def balance(entries: Iterable[LedgerEntry], currency: Currency, at: datetime) -> Balances:
    """Fold ``entries`` (any order, duplicates by id counted once) into balances at ``at``.

    :raises LedgerConflict: if one id names two different entries.
    """
    r = replay(entries, currency, at)
    horizon = at + EXPIRING_WINDOW
    total = sum(r.rem, Decimal(0))
    pending_lots = r.pending()
    pending = sum([r.rem[i] for i in pending_lots], Decimal(0))
    soon = [
        (x, e)
        for i, (x, e) in enumerate(zip(r.rem, r.exp, strict=True))
        if x and e <= horizon and i not in pending_lots
    ]
    expired = sum([x for x, e in soon if e <= at], Decimal(0))
    expiring = sum([x for x, e in soon if e > at], Decimal(0))
    return Balances(total - pending - expired - r.deficit, pending, expiring, expired)
