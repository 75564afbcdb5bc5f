"""The checks of a push: who made each event, and what needs the database (ids taken).

The checks of each event type are its handler's (``ingest_handlers/``); what is common to all
types is here: the event and its ledger entries come from the pushing terminal, and an entry
id already stored (or earlier in the batch) carries the same content.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.events import Event
from loyalty.rewards.ids import parse_entry_id, parse_made_id
from loyalty.rewards.ledger import LedgerEntry

from ..models import LedgerEntryRow
from .ingest_handlers import EventHandler, entries_of, handler_for
from .ingest_types import BatchResult, Pending, Reject, Rejection
from .terminals import TerminalIdentity


def check_origin(event: Event, who: TerminalIdentity) -> None:
    """The event, and every ledger entry it carries, come from ``who``.

    :raises Reject: ``wrong_terminal``; ``unknown_event_type`` for a type without handler.
    """
    h = event.header
    if h.store_id != who.store_id or h.terminal_id != who.terminal_id:
        raise Reject(
            "wrong_terminal",
            f"event made at {h.store_id}/{h.terminal_id} "
            f"pushed by {who.store_id}/{who.terminal_id}",
        )
    for kind, made in _made_ids(event):
        _check_made_id(kind, made, who)
    for entry in entries_of(event):
        origin = parse_entry_id(entry.entry_id)
        if (origin.store_id, origin.terminal_id) != (who.store_id, who.terminal_id):
            raise Reject(
                "wrong_terminal", f"ledger entry {entry.entry_id!r} was not made by this terminal"
            )
        if entry.store_id not in (None, who.store_id) or entry.terminal_id not in (
            None,
            who.terminal_id,
        ):
            raise Reject(
                "wrong_terminal", f"ledger entry {entry.entry_id!r} names another store or terminal"
            )


def _made_ids(event: Event) -> list[tuple[str, str]]:
    """The ids the event names as its own, with the kind each must be (``ids.KINDS``)."""
    return [("V", event.header.event_id), *handler_for(event).made_ids(event)]


def _check_made_id(kind: str, value: str, who: TerminalIdentity) -> None:
    """An id in the format tills make (``loyalty.rewards.ids``) must be of its kind and name
    the pushing terminal: a till must not take the ids another till will make. Ids in another
    format (a member's card number, events of older agents) are left to the other checks."""
    try:
        made_kind, origin = parse_made_id(value)
    except LoyaltyError:
        return
    if made_kind != kind:
        raise Reject("invalid_id", f"{value!r} is not an id of this kind ({kind}:…)")
    if (origin.store_id, origin.terminal_id) != (who.store_id, who.terminal_id):
        raise Reject("wrong_terminal", f"id {value!r} was not made by this terminal")


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
    keep: list[Pending] = []
    batch_entries: dict[str, LedgerEntry] = {}
    for p in todo:
        handler = handler_for(p.event)
        try:
            handler.check(p, known[handler])
            carried = entries_of(p.event)
            for entry in carried:
                prior = batch_entries.get(entry.entry_id)
                stored = existing_entries.get(entry.entry_id)
                if (prior is not None and prior != entry) or (
                    stored is not None and not _same(stored, entry)
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
