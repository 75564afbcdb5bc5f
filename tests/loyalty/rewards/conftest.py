"""Helpers for the rewards tests: a fixed clock origin, id counters and entry builders."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from loyalty.rewards import Currency, EntryKind, LedgerEntry, make_entry_id

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MEMBER = "m-1"


def day(n: float) -> datetime:
    """``T0`` plus ``n`` days."""
    return T0 + timedelta(days=n)


def id_source(
    store: str = "LOJA-01", terminal: str = "PDV-01", start: int = 1
) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: make_entry_id(store, terminal, next(counter))


def entry(
    seq: int,
    amount: int | str | Decimal,
    *,
    kind: EntryKind | None = None,
    currency: Currency = Currency.POINTS,
    at: datetime = T0,
    terminal: str = "PDV-01",
    **fields: object,
) -> LedgerEntry:
    """A ledger entry; kind defaults to earn for a positive amount and redeem for a negative."""
    value = Decimal(amount)
    if kind is None:
        kind = EntryKind.EARN if value > 0 else EntryKind.REDEEM
    return LedgerEntry(
        entry_id=make_entry_id("LOJA-01", terminal, seq),
        member_id=MEMBER,
        currency=currency,
        kind=kind,
        amount=value,
        effective_at=at,
        **fields,  # type: ignore[arg-type]
    )
