"""The writes of a push: claim the event ids, then insert every effect in bulk.

Each event's rows are its handler's (``ingest_handlers/``); the ledger rows, common to every
type that carries entries, the bulk insert in foreign-key order, the handlers' follow-ups
and the raffle bookkeeping of the whole push (tickets of its sales, voids of its refunds,
owed numbers) are here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from loyalty.rewards.ledger import LedgerEntry

from ..models import (
    AppliedEvent,
    Card,
    HeldEntry,
    LedgerEntryRow,
    Member,
    RaffleTicketRow,
    RaffleVoid,
    Refund,
    RefundReversal,
    Sale,
    SaleAppliedRule,
    SaleLine,
    VoucherUseRow,
)
from ..models.raffle import TicketStatus
from ..models.sync import reserve_seqs
from ..security import CpfCipher
from .bulk import claim_ids, insert_rows
from .ingest_handlers import EVENT_HANDLERS, EventHandler, RowContext, entries_of, handler_for
from .ingest_types import Pending
from .ledger_reads import entry_row
from .raffle import assign_owed_tickets
from .refund_caps import settle
from .terminals import TerminalIdentity
from .till_grants import Hold
from .uow import SqlUnitOfWork


def write(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    group: list[Pending],
    now: dt.datetime,
    cipher: CpfCipher,
    vouchers: set[str],
    flags: list[dict[str, Any]],
) -> set[str]:
    """Claim the ids of ``group`` and write the effects of those this call claimed.

    :param flags: where the answer's flags of the refund reversals settled go
        (``services/refund_caps.py``).
    """
    if not group:
        return set()
    s = uow.session
    applied_t: Table = AppliedEvent.__table__  # type: ignore[assignment]
    claim_rows = [
        {
            "event_id": p.event_id,
            "event_type": p.event.TYPE,
            "terminal_id": who.terminal_id,
            "store_id": who.store_id,
            "applied_at": now,
        }
        for p in group
    ]
    claimed = claim_ids(s, applied_t, claim_rows, "event_id")
    mine = [p for p in group if p.event_id in claimed]
    out = RowContext(who, now, cipher, {name: [] for name in _TABLE_ORDER})
    by_handler: dict[EventHandler[Any], list[Pending]] = defaultdict(list)
    for p in mine:
        handler = handler_for(p.event)
        by_handler[handler].append(p)
        ledger_rows(p, now, out)
        handler.rows(p, out)
    rows = out.rows
    tracked = rows["members"] + rows["cards"] + rows["ledger_entries"]
    for row, seq in zip(tracked, reserve_seqs(s, len(tracked)), strict=True):
        row["change_seq"] = seq
    for name in _TABLE_ORDER:
        insert_rows(s, _TABLES[name], rows[name], ignore=name in _IDEMPOTENT)
    for handler in EVENT_HANDLERS.values():  # the table's order: sales, refunds, vouchers, …
        if by_handler.get(handler):
            vouchers.update(handler.applied(s, by_handler[handler], now))
    raffle_bookkeeping(s, rows["raffle_tickets"], rows.get("raffle_voids", []))
    # The reversals waiting for what this push brings (a sale after its refund), and this
    # push's own, against the ledger as it now is.
    targets = {e.entry_id for p in mine for e in entries_of(p.event)}
    targets |= {r["reverses"] for r in rows["refund_reversals"]}
    flags.extend(settle(uow, targets, now))
    return claimed


def raffle_bookkeeping(
    s: Session, tickets: list[dict[str, Any]], voids: list[dict[str, Any]]
) -> None:
    """Void the tickets refunds gave back, and number the owed tickets of this push's sales.

    Voids go to ``raffle_voids`` first: a refund may arrive before its sale (reordered pushes).
    """
    insert_rows(s, RaffleVoid.__table__, voids, ignore=True)  # type: ignore[arg-type]
    sales = {r["sale_id"] for r in tickets} | {v["sale_id"] for v in voids}
    if sales:
        s.execute(
            update(RaffleTicketRow)
            .where(
                RaffleTicketRow.sale_id.in_(sales),
                RaffleTicketRow.id.in_(
                    select(RaffleVoid.ticket_id).where(RaffleVoid.sale_id.in_(sales))
                ),
            )
            .values(status=TicketStatus.VOID)
        )
    owed = {r["raffle_id"] for r in tickets if r["number"] is None}
    if owed:
        assign_owed_tickets(s, owed)


def ledger_rows(p: Pending, now: dt.datetime, out: RowContext) -> None:
    """The ledger rows of the entries ``p`` carries (any type that carries entries); those
    held for head office go to ``held_entries`` instead, and count in no balance."""
    entries = entries_of(p.event)
    if not p.held and not p.deferred:
        out.add("ledger_entries", *(entry_row(entry, now, p.event_id) for entry in entries))
        return
    for entry in entries:
        hold = p.held.get(entry.entry_id)
        if entry.entry_id in p.deferred:
            continue  # the handler's refund_reversals row; settled after the insert
        if hold is None:
            out.add("ledger_entries", entry_row(entry, now, p.event_id))
        else:
            out.add("held_entries", held_row(entry, hold, p.event_id, out.who, now))


def held_row(
    entry: LedgerEntry, hold: Hold, event_id: str, who: TerminalIdentity, now: dt.datetime
) -> dict[str, Any]:
    """The ``held_entries`` row of an entry held for head office."""
    return {
        "entry_id": entry.entry_id,
        "event_id": event_id,
        "store_id": who.store_id,
        "terminal_id": who.terminal_id,
        "member_id": entry.member_id,
        "currency": entry.currency.value,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "sale_id": entry.sale_id,
        "code": hold.code,
        "detail": hold.detail[:300],
        "entry": entry.to_dict(),
        "status": "held",
        "held_at": now,
        "decided_at": None,
        "decided_by": None,
        "note": None,
    }


# An entry carried by two events (same content, checked before) is written once.
_IDEMPOTENT = ("ledger_entries", "refund_reversals")
_TABLE_ORDER = (
    "members",
    "cards",
    "sales",
    "sale_lines",
    "sale_applied_rules",
    "raffle_tickets",
    "refunds",
    "ledger_entries",
    "held_entries",
    "refund_reversals",
    "voucher_uses",
)
_TABLES: dict[str, Table] = {
    "members": Member.__table__,  # type: ignore[dict-item]
    "cards": Card.__table__,  # type: ignore[dict-item]
    "sales": Sale.__table__,  # type: ignore[dict-item]
    "sale_lines": SaleLine.__table__,  # type: ignore[dict-item]
    "sale_applied_rules": SaleAppliedRule.__table__,  # type: ignore[dict-item]
    "raffle_tickets": RaffleTicketRow.__table__,  # type: ignore[dict-item]
    "refunds": Refund.__table__,  # type: ignore[dict-item]
    "ledger_entries": LedgerEntryRow.__table__,  # type: ignore[dict-item]
    "held_entries": HeldEntry.__table__,  # type: ignore[dict-item]
    "refund_reversals": RefundReversal.__table__,  # type: ignore[dict-item]
    "voucher_uses": VoucherUseRow.__table__,  # type: ignore[dict-item]
}
