"""One handler per till event type, found through one table (as a message bus does).

Adding an event type to ``loyalty/events.py`` means a new module here with its handler, and
one line in :data:`EVENT_HANDLERS`; the push steps (``services/ingest.py``,
``ingest_checks.py``, ``ingest_rows.py``) never test an event's type themselves. A test checks
that every type ``loyalty.events`` parses has exactly one handler.
"""

from __future__ import annotations

from typing import Any

from loyalty.events import (
    Event,
    LedgerEntryRecorded,
    MemberEnrolled,
    RefundRecorded,
    SaleRecorded,
    VoucherUsed,
)
from loyalty.rewards.ledger import LedgerEntry

from ..ingest_types import Reject
from .base import EventHandler as EventHandler
from .base import GrantFacts as GrantFacts
from .base import PushContext as PushContext
from .base import RowContext as RowContext
from .base import Rows as Rows
from .base import Text as Text
from .enrolment import MemberEnrolledHandler
from .ledger_entry import LedgerEntryHandler
from .refund import RefundHandler
from .sale import SaleHandler
from .voucher_use import VoucherUsedHandler

EVENT_HANDLERS: dict[type[Any], EventHandler[Any]] = {
    SaleRecorded: SaleHandler(),
    RefundRecorded: RefundHandler(),
    VoucherUsed: VoucherUsedHandler(),
    MemberEnrolled: MemberEnrolledHandler(),
    LedgerEntryRecorded: LedgerEntryHandler(),
}


def handler_for(event: object) -> EventHandler[Any]:
    """The handler of ``event``'s type.

    :raises Reject: ``unknown_event_type``, a type parsed but never taught to the server.
    """
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        kind = getattr(event, "TYPE", type(event).__name__)
        raise Reject("unknown_event_type", f"no handler for events of type {kind!r}")
    return handler


def entries_of(event: Event) -> tuple[LedgerEntry, ...]:
    """The ledger entries an event carries (sales, refunds, stand-alone entries)."""
    return handler_for(event).entries(event)
