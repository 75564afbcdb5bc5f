"""Every string a pushed event stores fits its column, or the event is refused (``too_long``).

PostgreSQL refuses a ``VARCHAR(n)`` overflow, but SQLite stores it whole and other paths
would cut it: either way a 70-character SKU must not become a batch error or a silent cut.
The lengths are the models' own (``Column.type.length``), so a migration that widens a column
widens the check; each handler names the strings its event stores (``EventHandler.texts``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from loyalty.events import Event

from ..models import AppliedEvent, LedgerEntryRow
from .ingest_handlers import Text, entries_of, handler_for
from .ingest_types import Reject


def check_lengths(event: Event) -> None:
    """:raises Reject: ``too_long``, naming the first field longer than its column."""
    handler = handler_for(event)
    _check(("event_id", event.header.event_id, AppliedEvent.event_id))
    for text in handler.texts(event):
        _check(text)
    for i, entry in enumerate(entries_of(event)):
        where = f"ledger_entries[{i}]"
        for name, value, column in (
            ("entry_id", entry.entry_id, LedgerEntryRow.entry_id),
            ("member_id", entry.member_id, LedgerEntryRow.member_id),
            ("sale_id", entry.sale_id, LedgerEntryRow.sale_id),
            ("rule_id", entry.rule_id, LedgerEntryRow.rule_id),
            ("reverses", entry.reverses, LedgerEntryRow.reverses),
            ("reason", entry.reason, LedgerEntryRow.reason),
        ):
            _check((f"{where}.{name}", value, column))


@cache
def column_length(column: Any) -> int | None:
    """The length of a model's string column (``None``: unbounded)."""
    return getattr(column.property.columns[0].type, "length", None)


def _check(text: Text) -> None:
    name, value, column = text
    if value is None:
        return
    limit = column_length(column)
    if limit is not None and len(value) > limit:
        raise Reject("too_long", f"{name} has {len(value)} characters; at most {limit} are stored")
