"""A ledger entry made at the till outside a sale or refund: only its entry is applied."""

from __future__ import annotations

from typing import ClassVar

from loyalty.events import LedgerEntryRecorded
from loyalty.rewards.ledger import LedgerEntry

from .base import EventHandler


class LedgerEntryHandler(EventHandler[LedgerEntryRecorded]):
    event: ClassVar[type] = LedgerEntryRecorded

    def entries(self, event: LedgerEntryRecorded) -> tuple[LedgerEntry, ...]:
        return (event.entry,)
