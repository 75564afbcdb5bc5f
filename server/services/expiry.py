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
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from loyalty.rewards import Currency, EntryKind, LedgerEntry
from loyalty.rewards.expiry import maturity_markers, plan_expiry

from ..jobs.contract import JobContext, JobReport
from ..models import LedgerDue, LedgerEntryRow
from ..models.sync import reserve_seqs
from .bulk import insert_rows
from .expiry_sql import expire_batch
from .ledger_due import absorb, set_due
from .ledger_reads import entries_by_member, entry_row
from .uow import SqlUnitOfWork

_D = LedgerDue.__table__
_ABSORB_SPAN = 20  # change numbers read per absorb transaction, per member of a batch


def due_work(
    entries: list[LedgerEntry], member_id: str, at: dt.datetime
) -> tuple[list[LedgerEntry], dt.datetime | None]:
    """What the job writes for one member at ``at`` (expiries, give-backs, maturity markers),
    and the member's next due moment after that (``None``: nothing will happen by itself)."""
    made, best = maturity_markers(entries, member_id=member_id, at=at)
    for currency in Currency:
        mine = [e for e in entries if e.currency is currency]
        if not mine:
            continue
        plan = plan_expiry(mine, currency=currency, member_id=member_id, at=at)
        made += plan.entries
        if plan.next_at is not None and (best is None or plan.next_at < best):
            best = plan.next_at
    return made, best


def _most_due(session: Session, at: dt.datetime) -> bool:
    """Whether more than half the members are due at ``at`` (one pass over ``ledger_due``)."""
    due = func.count().filter(_D.c.due_at <= at)
    return bool(session.execute(select(due * 2 > func.count())).scalar())


def _batch(  # type: ignore[no-untyped-def]
    session: Session,
    at: dt.datetime,
    after: tuple[dt.datetime, str] | str | None,
    size: int,
    by_member: bool,
):
    stmt = select(_D.c.member_id, _D.c.due_at).where(_D.c.due_at <= at)
    if by_member:
        # By member (the primary key): the batch's entries are then read in the order the
        # ledger lies on disk (written member by member); due order scatters them (the reads
        # of a batch took 4x as long).
        if isinstance(after, str):
            stmt = stmt.where(_D.c.member_id > after)
        return session.execute(stmt.order_by(_D.c.member_id).limit(size)).all()
    if isinstance(after, tuple):
        due, member = after
        stmt = stmt.where(
            tuple_(_D.c.due_at, _D.c.member_id)
            > tuple_(literal(due, _D.c.due_at.type), literal(member))
        )
    return session.execute(stmt.order_by(_D.c.due_at, _D.c.member_id).limit(size)).all()


def expire_and_mature(ctx: JobContext) -> JobReport:
    """The job (``server/jobs``): expiry and maturation for every member due at ``ctx.now``."""
    return run_expiry(ctx.app, ctx.now, ctx.batch_size)


def run_expiry(app: Flask, at: dt.datetime, size: int, *, set_based: bool = True) -> JobReport:
    """Absorb the new ledger entries into ``ledger_due``, then write what is due at ``at`` for
    every member due, ``size`` members a transaction.

    :param set_based: on PostgreSQL, decide each batch in one statement for the members whose
        history SQL decides exactly (:mod:`server.services.expiry_sql`) and fold only the rest;
        ``False`` folds every member in Python there too (the equivalence test runs both).
        SQLite always folds in Python.
    """
    report = JobReport(detail={"absorbed": 0, "expired": 0, "given_back": 0, "matured": 0})
    more = True
    while more:
        with SqlUnitOfWork.for_app(app) as uow:
            read, more = absorb(uow.session, span=size * _ABSORB_SPAN)
            uow.commit()
        report.detail["absorbed"] += read
    amounts = {c: Decimal(0) for c in Currency}
    after: tuple[dt.datetime, str] | str | None = None
    with SqlUnitOfWork.for_app(app) as uow:
        # A night when most members are due (a yearly expiry date, the first run): walk them
        # in member order. Either order visits every member due; the order only changes which
        # batch, so which change numbers, a member's entries take.
        by_member = _most_due(uow.session, at)
    while True:
        with SqlUnitOfWork.for_app(app) as uow:
            s = uow.session
            rows = _batch(s, at, after, size, by_member)
            if not rows:
                break
            fold_rows = [(r.member_id, r.due_at) for r in rows]
            if set_based and s.get_bind().dialect.name == "postgresql":
                done = expire_batch(s, fold_rows, at)
                fold_rows = [r for r in fold_rows if r[0] in done.hard]
                report.changed += done.written
                report.detail["expired"] += done.expired
                report.detail["matured"] += done.matured
                amounts[Currency.POINTS] += done.points_expired
                amounts[Currency.CASHBACK] += done.cashback_expired
            written = _fold(s, fold_rows, at)
            uow.commit()
        after = rows[-1].member_id if by_member else (rows[-1].due_at, rows[-1].member_id)
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


def _fold(
    s: Session, rows: list[tuple[str, dt.datetime | None]], at: dt.datetime
) -> list[LedgerEntry]:
    """Fold each member of ``rows`` in Python, write what is due and move its ``due_at``."""
    if not rows:
        return []
    by_member = entries_by_member(s, [m for m, _ in rows])
    written: list[LedgerEntry] = []
    moves: list[tuple[str, dt.datetime | None, dt.datetime | None]] = []
    for member_id, read_due in rows:
        made, upcoming = due_work(by_member.get(member_id, []), member_id, at)
        written += made
        moves.append((member_id, read_due, upcoming))
    _write(s, written, at)
    set_due(s, moves)
    return written


def _write(session: Session, entries: list[LedgerEntry], now: dt.datetime) -> None:
    if not entries:
        return
    # A derived entry already written (a killed run's, or a member folded twice in one walk)
    # takes no change number: the feed's numbers stay the same whichever way the job walks.
    have = set(
        session.scalars(
            select(LedgerEntryRow.entry_id).where(
                LedgerEntryRow.entry_id.in_([e.entry_id for e in entries])
            )
        )
    )
    rows = [entry_row(e, now) for e in entries if e.entry_id not in have]
    if not rows:
        return
    for row, seq in zip(rows, reserve_seqs(session, len(rows)), strict=True):
        row["change_seq"] = seq
    # Derived ids: an entry a killed run already committed is skipped, never doubled.
    insert_rows(session, LedgerEntryRow.__table__, rows, ignore=True)  # type: ignore[arg-type]
