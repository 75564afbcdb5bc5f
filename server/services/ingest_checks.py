"""The checks of a push: who made each event, and what needs the database (ids taken).

The checks of each event type are its handler's (``ingest_handlers/``); what is common to all
types is here: the event and its ledger entries come from the pushing terminal, and an entry
id already stored (or earlier in the batch) carries the same content.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.events import Event, LedgerEntryRecorded
from loyalty.rewards.ids import parse_made_id
from loyalty.rewards.ledger import EntryKind, LedgerEntry

from ..models import HeldEntry, LedgerEntryRow, RefundReversal
from .ingest_handlers import EventHandler, GrantFacts, entries_of, handler_for
from .ingest_types import BatchResult, Pending, Reject, Rejection
from .terminals import TerminalIdentity
from .till_grants import AdjustmentLimits, day_start


def check_origin(event: Event, who: TerminalIdentity) -> None:
    """Every id the event names as the till's own is in the tills' format and names ``who``.

    That is the event id, the ids its handler lists (sale, refund, member; the sale a refund
    or voucher use is of), and for each ledger entry its id, its store and terminal, its sale
    (not the entry it reverses: lots of any origin are drawn). Checked before the
    applied-events lookup: since an event id names its terminal, one terminal can never be
    answered "applied" for another's event.

    :raises Reject: ``wrong_terminal`` (another terminal's id), ``invalid_id`` (not an id a
        till makes, or of the wrong kind); ``unknown_event_type`` for a type without handler.
    """
    h = event.header
    if h.store_id != who.store_id or h.terminal_id != who.terminal_id:
        raise Reject(
            "wrong_terminal",
            f"event made at {_short(h.store_id)}/{_short(h.terminal_id)} "
            f"pushed by {who.store_id}/{who.terminal_id}",
        )
    for kind, made in _made_ids(event):
        check_made_id(kind, made, who)
    for entry in entries_of(event):
        check_made_id("E", entry.entry_id, who)
        if entry.store_id not in (None, who.store_id) or entry.terminal_id not in (
            None,
            who.terminal_id,
        ):
            raise Reject(
                "wrong_terminal", f"ledger entry {entry.entry_id!r} names another store or terminal"
            )
        if entry.sale_id is not None:
            check_made_id("S", entry.sale_id, who)
        # ``reverses`` is not checked: a redemption draws lots of any origin (head office's
        # adjustments, the member's earnings at other tills); what a reversal may give back is
        # bounded by the entry it names (held entries), not by who made it.


def _made_ids(event: Event) -> list[tuple[str, str]]:
    """The ids the event names as its own, with the kind each must be (``ids.KINDS``)."""
    return [("V", event.header.event_id), *handler_for(event).made_ids(event)]


def check_made_id(kind: str, value: str, who: TerminalIdentity) -> None:
    """``value`` is an id of ``kind`` made by ``who`` (``loyalty.rewards.ids``).

    Every agent has made its ids in this format from the start, so any other id is refused:
    an id that names no terminal could be anyone's.

    :raises Reject: ``invalid_id`` or ``wrong_terminal``.
    """
    try:
        made_kind, origin = parse_made_id(value)
    except LoyaltyError:
        raise Reject(
            "invalid_id", f"{_short(value)!r} is not an id made at a till ({kind}:…)"
        ) from None
    if made_kind != kind:
        raise Reject("invalid_id", f"{value!r} is not an id of this kind ({kind}:…)")
    if (origin.store_id, origin.terminal_id) != (who.store_id, who.terminal_id):
        raise Reject("wrong_terminal", f"id {value!r} was not made by this terminal")


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else f"{text[:40]}…"


def check_against_db(s: Session, todo: list[Pending], result: BatchResult) -> list[Pending]:
    """Reject events whose ids or keys are taken by other events; return the rest, in order."""
    by_handler: dict[EventHandler[Any], list[Pending]] = {}
    for p in todo:
        by_handler.setdefault(handler_for(p.event), []).append(p)
    known = {h: h.preload(s, items) for h, items in by_handler.items()}
    entries = {e.entry_id: e for p in todo for e in entries_of(p.event)}
    existing_entries = (
        {
            r.entry_id: r
            for r in s.scalars(
                select(LedgerEntryRow).where(LedgerEntryRow.entry_id.in_(list(entries)))
            )
        }
        if entries
        else {}
    )
    held = (
        set(s.scalars(select(HeldEntry.entry_id).where(HeldEntry.entry_id.in_(list(entries)))))
        if entries
        else set()
    )
    reversals = (
        {
            entry_id: sent
            for entry_id, sent in s.execute(
                select(RefundReversal.entry_id, RefundReversal.entry).where(
                    RefundReversal.entry_id.in_(list(entries))
                )
            )
        }
        if entries
        else {}
    )
    keep: list[Pending] = []
    batch_entries: dict[str, LedgerEntry] = {}
    for p in todo:
        handler = handler_for(p.event)
        try:
            handler.check(p, known[handler])
            carried = entries_of(p.event)
            for entry in carried:
                if entry.entry_id in held:
                    raise Reject(
                        "ledger_conflict",
                        f"ledger entry {entry.entry_id!r} is held for head office's approval",
                    )
                prior = batch_entries.get(entry.entry_id)
                stored = existing_entries.get(entry.entry_id)
                sent = reversals.get(entry.entry_id)
                if (
                    (prior is not None and prior != entry)
                    or (stored is not None and not _same(stored, entry))
                    or (sent is not None and sent != entry.to_dict())
                ):
                    raise Reject(
                        "ledger_conflict",
                        f"ledger entry {entry.entry_id!r} exists with other content",
                    )
            for entry in carried:
                batch_entries[entry.entry_id] = entry
        except Reject as exc:
            result.rejected.append(Rejection(p.index, p.event_id, exc.code, exc.message))
            continue
        keep.append(p)
    return keep


def decide_holds(
    s: Session,
    todo: list[Pending],
    who: TerminalIdentity,
    limits: AdjustmentLimits,
    now: dt.datetime,
) -> None:
    """Set each event's held entries (``services/till_grants.py``) and the reversals settled
    against the entries they reverse (``services/refund_caps.py``), in push order.

    Reads, once per push, which of its reversals are in the ledger already (applied by an
    earlier event carrying the same entry: not settled twice) and what the terminal's own
    adjustments moved today.
    """
    reversal_ids = {e.entry_id for p in todo for e in handler_for(p.event).reversals(p.event)}
    stored: set[str] = set()
    if reversal_ids:
        stored = set(
            s.scalars(
                select(LedgerEntryRow.entry_id).where(LedgerEntryRow.entry_id.in_(reversal_ids))
            )
        )
    used: dict[str, Decimal] = {}
    if any(handler_for(p.event).event is LedgerEntryRecorded for p in todo):
        rows = s.execute(
            select(LedgerEntryRow.currency, LedgerEntryRow.amount).where(
                LedgerEntryRow.terminal_id == who.terminal_id,
                LedgerEntryRow.kind == EntryKind.ADJUST.value,
                LedgerEntryRow.event_id.is_not(None),
                LedgerEntryRow.recorded_at >= day_start(now),
            )
        )
        for currency, amount in rows:
            used[currency] = used.get(currency, Decimal(0)) + abs(amount)
    facts = GrantFacts(limits, used)
    for p in todo:
        handler = handler_for(p.event)
        p.held = handler.holds(p, facts)
        p.deferred = {e.entry_id for e in handler.reversals(p.event)} - stored


def _same(row: LedgerEntryRow, entry: LedgerEntry) -> bool:
    return (
        row.member_id == entry.member_id
        and row.currency == entry.currency.value
        and row.kind == entry.kind.value
        and row.amount == entry.amount
        and row.effective_at == entry.effective_at
        and row.sale_id == entry.sale_id
        and row.reverses == entry.reverses
    )
