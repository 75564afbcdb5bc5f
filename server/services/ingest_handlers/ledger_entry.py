"""A ledger entry made at the till outside a sale or refund: only its entry is applied, and
only within what a till may grant alone (``services/till_grants.py``); beyond it, it is held."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, cast

from loyalty.events import LedgerEntryRecorded
from loyalty.rewards.ledger import EntryKind, LedgerEntry

from ..ingest_types import Pending
from ..till_grants import Hold, adjustment_hold
from .base import EventHandler, GrantFacts


class LedgerEntryHandler(EventHandler[LedgerEntryRecorded]):
    event: ClassVar[type] = LedgerEntryRecorded

    def entries(self, event: LedgerEntryRecorded) -> tuple[LedgerEntry, ...]:
        return (event.entry,)

    def holds(self, item: Pending, facts: GrantFacts) -> dict[str, Hold]:
        """An adjustment within the per-entry and per-day limits applies (and counts towards
        the day); beyond them, or any kind but a redemption, it is held."""
        entry = cast(LedgerEntryRecorded, item.event).entry
        used = facts.used_today.get(entry.currency.value, Decimal(0))
        hold = adjustment_hold(entry, facts.limits, used)
        if hold is not None:
            return {entry.entry_id: hold}
        if entry.kind is EntryKind.ADJUST:
            facts.used_today[entry.currency.value] = used + abs(entry.amount)
        return {}
