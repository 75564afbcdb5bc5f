"""The expiry and maturation job: write off points and cashback past their expiry, first
expiring first out, and mark cashback credits that matured, for the members due.

A run first reads the ledger changes since its cursor into ``ledger_due``
(:mod:`server.services.ledger_due`), then walks the members whose ``due_at`` has come, in keyset
batches over that index, each batch in its own transaction: it folds each member's entries
(``loyalty.rewards``), writes the ``expire`` entries (and the give-backs of an expiry that a late
redemption made too large) and the zero ``mature`` markers, with ids derived from what they act
on (:mod:`loyalty.rewards.derived_ids`), and moves the member's ``due_at`` to the next expiry or
maturity. The entries take change numbers, so the ledger feed carries them to the tills. Killed
half-way, a run is simply run again: a batch committed is done, a batch lost is redone and its
ids, being derived, are written once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from loyalty.rewards import Currency, EntryKind, LedgerEntry, mature_due
from loyalty.rewards.derived_ids import keyed, placeholder_ids
from loyalty.rewards.expiry import expire_due_keyed
from loyalty.rewards.lots import fold

from ..jobs.contract import JobContext, JobReport
from ..models import LedgerDue, LedgerEntryRow
from ..models.sync import reserve_seqs
from .bulk import insert_rows
from .ledger_due import absorb, set_due
from .ledger_reads import entries_by_member, entry_row
from .uow import SqlUnitOfWork

_D = LedgerDue.__table__
_ABSORB_SPAN = 20  # change numbers read per absorb transaction, per member of a batch


def due_entries(entries: list[LedgerEntry], member_id: str, at: dt.datetime) -> list[LedgerEntry]:
    """What the job writes for one member at ``at``: expiries, give-backs, maturity markers."""
    made: list[LedgerEntry] = []
    for currency in Currency:
        if any(e.currency is currency for e in entries):
            made += expire_due_keyed(entries, currency=currency, member_id=member_id, at=at)
    placeholder = placeholder_ids()
    made += [keyed(e) for e in mature_due(entries, member_id=member_id, at=at, new_id=placeholder)]
    return made


def next_due(entries: Iterable[LedgerEntry], at: dt.datetime) -> dt.datetime | None:
    """The next moment something happens to these entries by itself: a lot with something left
    expires, or a pending credit matures. A moment already past means "look again next run"."""
    listed = list(entries)
    best: dt.datetime | None = None
    for currency in Currency:
        mine = [e for e in listed if e.currency is currency]
        if not mine:
            continue
        for lot in fold(mine, currency, at).lots:
            for moment in (lot.entry.expires_at, None if lot.available else lot.entry.available_at):
                if moment is not None and (best is None or moment < best):
                    best = moment
    # Matured credits without their marker yet (a marker is history, not a balance).
    marked = {e.reverses for e in listed if e.kind is EntryKind.MATURE}
    for e in listed:
        if (
            e.currency is Currency.CASHBACK
            and e.amount > 0
            and e.available_at is not None
            and e.entry_id not in marked
            and (best is None or e.available_at < best)
        ):
            best = e.available_at
    return best


def _batch(session: Session, at: dt.datetime, after: tuple[dt.datetime, str] | None, size: int):  # type: ignore[no-untyped-def]
    stmt = select(_D.c.member_id, _D.c.due_at).where(_D.c.due_at <= at)
    if after is not None:
        due, member = after
        stmt = stmt.where(or_(_D.c.due_at > due, and_(_D.c.due_at == due, _D.c.member_id > member)))
    return session.execute(stmt.order_by(_D.c.due_at, _D.c.member_id).limit(size)).all()


def expire_and_mature(ctx: JobContext) -> JobReport:
    """The job (``server/jobs``): expiry and maturation for every member due at ``ctx.now``."""
    at, size = ctx.now, ctx.batch_size
    report = JobReport(detail={"absorbed": 0, "expired": 0, "given_back": 0, "matured": 0})
    more = True
    while more:
        with SqlUnitOfWork.for_app(ctx.app) as uow:
            read, more = absorb(uow.session, span=size * _ABSORB_SPAN)
            uow.commit()
        report.detail["absorbed"] += read
    amounts = {c: Decimal(0) for c in Currency}
    after: tuple[dt.datetime, str] | None = None
    while True:
        with SqlUnitOfWork.for_app(ctx.app) as uow:
            s = uow.session
            rows = _batch(s, at, after, size)
            if not rows:
                break
            by_member = entries_by_member(s, [r.member_id for r in rows])
            written: list[LedgerEntry] = []
            moves: list[tuple[str, dt.datetime | None, dt.datetime | None]] = []
            for member_id, read_due in rows:
                entries = by_member.get(member_id, [])
                made = due_entries(entries, member_id, at)
                written += made
                moves.append((member_id, read_due, next_due(entries + made, at)))
            _write(s, written, at)
            set_due(s, moves)
            uow.commit()
        after = (rows[-1].due_at, rows[-1].member_id)
        report.processed += len(rows)
        report.changed += len(written)
        for e in written:
            key = {EntryKind.EXPIRE: "expired", EntryKind.REVERSE: "given_back"}.get(e.kind)
            report.detail[key or "matured"] += 1
            if e.kind is EntryKind.EXPIRE:
                amounts[e.currency] -= e.amount
    report.detail["points_expired"] = f"{amounts[Currency.POINTS]:f}"
    report.detail["cashback_expired"] = f"{amounts[Currency.CASHBACK]:f}"
    return report


def _write(session: Session, entries: list[LedgerEntry], now: dt.datetime) -> None:
    if not entries:
        return
    rows = [entry_row(e, now) for e in entries]
    for row, seq in zip(rows, reserve_seqs(session, len(rows)), strict=True):
        row["change_seq"] = seq
    # Derived ids: an entry a killed run already committed is skipped, never doubled.
    insert_rows(session, LedgerEntryRow.__table__, rows, ignore=True)  # type: ignore[arg-type]
