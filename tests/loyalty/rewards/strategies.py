"""Hypothesis strategies: random but valid ledgers of one member."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import strategies as st

from loyalty.rewards import Currency, EntryKind, LedgerEntry

from .conftest import day, entry


@st.composite
def ledgers(draw: st.DrawFn, currency: Currency = Currency.POINTS) -> list[LedgerEntry]:
    """Earnings (some pending, some expiring), redemptions (linked or not) and adjustments."""
    n = draw(st.integers(1, 25))
    made: list[LedgerEntry] = []
    for seq in range(1, n + 1):
        at = day(draw(st.integers(0, 400)))
        terminal = draw(st.sampled_from(["PDV-01", "PDV-02"]))
        if currency is Currency.POINTS:
            amount = Decimal(draw(st.integers(1, 500)))
        else:
            amount = Decimal(draw(st.integers(1, 50_000))).scaleb(-2)
        op = draw(st.sampled_from(["earn", "earn", "redeem", "adjust"]))
        if op == "earn":
            fields: dict[str, object] = {}
            if draw(st.booleans()):
                fields["expires_at"] = at + timedelta(days=draw(st.integers(1, 400)))
            if currency is Currency.CASHBACK and draw(st.booleans()):
                fields["available_at"] = at + timedelta(days=draw(st.integers(0, 60)))
            made.append(entry(seq, amount, currency=currency, at=at, terminal=terminal, **fields))
        elif op == "redeem":
            link = draw(st.sampled_from([None, *[e.entry_id for e in made]]))
            made.append(
                entry(seq, -amount, currency=currency, at=at, terminal=terminal, reverses=link)
            )
        else:
            sign = draw(st.sampled_from([1, -1]))
            made.append(
                entry(
                    seq,
                    sign * amount,
                    kind=EntryKind.ADJUST,
                    currency=currency,
                    at=at,
                    terminal=terminal,
                )
            )
    return made
