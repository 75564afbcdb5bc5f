"""Ledger entries held for head office: list them, approve (apply once) or reject (audited).

A push holds what a till may not grant alone (``services/till_grants.py``); head office sees
those entries on the *Ajustes retidos* page. Approving one inserts it into ``ledger_entries``
under its own entry id, stamped with a change number so the member's tills pull it; the
state moves from ``held`` under ``WHERE status = 'held'``, so two approvals racing apply it
once (the loser is told it was decided already). Rejecting keeps the row, decided. Both are
use cases (one transaction each) and are written to the audit log with the entry's figures.

A held credit that is refunded while it waits is reduced, never the balance
(``services/refund_caps.py``): the refund's reversals wait with it, approving applies the entry
and then them (only the remainder is credited), rejecting voids them, and reversals covering
it entirely cancel it (status ``refunded``, audited as ``held_entry.refunded``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from loyalty.rewards.ledger import LedgerEntry

from ..clock import now as utcnow
from ..models import HeldEntry, LedgerEntryRow
from .ledger_reads import entry_row
from .refund_caps import REFUNDED, reversed_while_held, settle
from .uow import SqlUnitOfWork, use_case

HELD, APPROVED, REJECTED = "held", "approved", "rejected"
STATUSES = (HELD, APPROVED, REJECTED, REFUNDED)


class HeldEntryError(ValueError):
    """An unknown entry, or one decided already; ``message_en`` says which."""

    def __init__(self, message_en: str, message_pt: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_pt = message_pt


@dataclass(frozen=True)
class HeldRow:
    entry_id: str
    event_id: str
    store_id: str
    terminal_id: str
    member_id: str
    currency: str
    kind: str
    amount: Decimal
    sale_id: str | None
    code: str
    detail: str
    status: str
    held_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    note: str | None
    # what refunds took off it while it was held (signed, 0: none): approving credits the rest
    reversed_while_held: Decimal = Decimal(0)


def list_held(
    s: Session,
    status: str = HELD,
    stores: Collection[str] | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[HeldRow], int]:
    """One page of entries in ``status``, newest first, and how many there are in all."""
    where = [HeldEntry.status == status]
    if stores is not None:
        where.append(HeldEntry.store_id.in_(list(stores)))
    total = s.scalar(select(func.count()).select_from(HeldEntry).where(*where)) or 0
    rows = s.scalars(
        select(HeldEntry)
        .where(*where)
        .order_by(HeldEntry.held_at.desc(), HeldEntry.entry_id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    found = list(rows)
    off = reversed_while_held(s, [r.entry_id for r in found])
    return [_row(r, off.get(r.entry_id, Decimal(0))) for r in found], total


def store_of(s: Session, entry_id: str) -> str | None:
    """The store whose till sent the held entry ``entry_id`` (``None``: no such entry)."""
    return s.scalar(select(HeldEntry.store_id).where(HeldEntry.entry_id == entry_id))


def _row(r: HeldEntry, reversed_: Decimal = Decimal(0)) -> HeldRow:
    return HeldRow(
        r.entry_id,
        r.event_id,
        r.store_id,
        r.terminal_id,
        r.member_id,
        r.currency,
        r.kind,
        r.amount,
        r.sale_id,
        r.code,
        r.detail,
        r.status,
        r.held_at,
        r.decided_at,
        r.decided_by,
        r.note,
        reversed_,
    )


def _decide(uow: SqlUnitOfWork, entry_id: str, status: str, actor: str, note: str) -> HeldEntry:
    s = uow.session
    now = utcnow()
    result = s.execute(
        update(HeldEntry)
        .where(HeldEntry.entry_id == entry_id, HeldEntry.status == HELD)
        .values(
            status=status, decided_at=now, decided_by=actor[:64], note=note.strip()[:200] or None
        )
    )
    moved = cast(CursorResult[Any], result).rowcount
    row = s.get(HeldEntry, entry_id, populate_existing=True)
    if row is None:
        raise HeldEntryError(
            f"no held entry {entry_id!r}", f"nenhum lançamento retido {entry_id!r}"
        )
    if moved != 1:
        raise HeldEntryError(
            f"entry {entry_id!r} was {row.status} already",
            f"o lançamento {entry_id!r} já foi decidido ({row.status})",
        )
    return row


@use_case
def approve(uow: SqlUnitOfWork, entry_id: str, *, actor: str, note: str = "") -> HeldRow:
    """Apply a held entry to the ledger, once, then the refund reversals that waited for it
    (only the remainder is credited); audited.

    :raises HeldEntryError: unknown, or decided already (by a concurrent approval, or
        cancelled by refunds: ``refunded``).
    """
    row = _decide(uow, entry_id, APPROVED, actor, note)
    entry = LedgerEntry.from_dict(row.entry)
    now = row.decided_at or utcnow()
    uow.session.add(LedgerEntryRow(**entry_row(entry, now, row.event_id)))
    uow.session.flush()
    off = reversed_while_held(uow.session, [entry_id]).get(entry_id, Decimal(0))
    settle(uow, [entry_id], now, actor=actor)
    return _audited(
        uow, row, "held_entry.approve", actor, reversed_while_held=f"{off:f}" if off else None
    )


@use_case
def reject(uow: SqlUnitOfWork, entry_id: str, *, actor: str, note: str = "") -> HeldRow:
    """Refuse a held entry for good (it never counts); audited.

    :raises HeldEntryError: unknown, or decided already.
    """
    row = _decide(uow, entry_id, REJECTED, actor, note)
    uow.session.flush()
    settle(uow, [entry_id], row.decided_at or utcnow(), actor=actor)  # its reversals: void
    return _audited(uow, row, "held_entry.reject", actor)


def _audited(uow: SqlUnitOfWork, row: HeldEntry, action: str, actor: str, **extra: Any) -> HeldRow:
    """Audit a decision on ``row`` (its status before was held) and return its value."""
    uow.audit_change(
        actor,
        action,
        "ledger_entry",
        row.entry_id,
        before={"status": HELD},
        after={"status": row.status},
        member_id=row.member_id,
        currency=row.currency,
        amount=f"{row.amount:f}",
        terminal_id=row.terminal_id,
        code=row.code,
        note=row.note,
        **{k: v for k, v in extra.items() if v is not None},
    )
    return _row(row)
