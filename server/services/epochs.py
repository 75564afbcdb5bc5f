"""The database's epoch: read it, start a new one, and record what tills pushed again.

Operations start a new epoch after every restore or fail-over (``tillclub server new-epoch``,
docs/operations.md); a till that has seen change numbers beyond the counter while it still
holds the current epoch starts one too (:func:`check_epoch`), so a restore nobody announced
is still caught at the first till that pulls or pushes. Sync issues lists every epoch and, per
terminal, how many events it pushed again and how many of them the server had lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..models.epochs import EpochRepush, ServerEpoch, new_epoch_id
from ..models.sync import AppliedEvent, current_seq
from .terminals import TerminalIdentity
from .uow import SqlUnitOfWork, use_case


@dataclass(frozen=True)
class Epoch:
    epoch: str
    database_id: str
    started_at: dt.datetime
    source: str
    reason: str
    detected_by: str | None
    counter_at_start: int


@dataclass(frozen=True)
class EpochCheck:
    """The current epoch and whether the till must change to it (``started``: this request
    began it, a restore detected)."""

    current: Epoch
    changed: bool = False
    started: bool = False


def _value(row: ServerEpoch) -> Epoch:
    return Epoch(
        row.epoch,
        row.database_id,
        row.started_at,
        row.source,
        row.reason,
        row.detected_by,
        row.counter_at_start,
    )


def current_epoch(session: Session) -> Epoch:
    """The current epoch. A database without one (its tables emptied by hand) gets its first
    one in ``session``: kept when the caller commits (every sync request does, through
    :func:`check_epoch`); a read-only caller uses :func:`ensure_epoch`."""
    row = _latest(session)
    return _value(row if row is not None else _first(session))


@use_case
def ensure_epoch(uow: SqlUnitOfWork) -> Epoch:
    """:func:`current_epoch`, committed (the CLI's ``epoch``, tests)."""
    return current_epoch(uow.session)


def _latest(session: Session) -> ServerEpoch | None:
    return session.scalars(select(ServerEpoch).order_by(ServerEpoch.seq.desc()).limit(1)).first()


def _first(session: Session) -> ServerEpoch:
    row = ServerEpoch(
        seq=1,
        epoch=new_epoch_id(),
        database_id=new_epoch_id(),
        started_at=clock.now(),
        source="created",
        reason="database created",
        detected_by=None,
        counter_at_start=current_seq(session),
    )
    try:
        with session.begin_nested():  # two first requests at once: one row wins, both read it
            session.add(row)
    except IntegrityError:
        latest = _latest(session)
        if latest is None:
            raise
        return latest
    return row


def _start(session: Session, source: str, reason: str, detected_by: str | None) -> Epoch:
    last = current_epoch(session)
    seq = int(session.scalar(select(func.max(ServerEpoch.seq))) or 0) + 1
    row = ServerEpoch(
        seq=seq,
        epoch=new_epoch_id(),
        database_id=last.database_id,
        started_at=clock.now(),
        source=source,
        reason=reason[:300],
        detected_by=detected_by,
        counter_at_start=current_seq(session),
    )
    session.add(row)
    session.flush()
    return _value(row)


@use_case
def start_new_epoch(uow: SqlUnitOfWork, reason: str, *, actor: str = "cli") -> Epoch:
    """Start a new epoch (after a restore or fail-over): every till pushes again what it holds
    and takes a new snapshot at its next sync. Safe to run twice (tills just re-push again;
    the server applies each event once)."""
    epoch = _start(uow.session, "command", reason or "new epoch", None)
    uow.audit("cli", actor, "server.new_epoch", "epoch", epoch.epoch, reason=epoch.reason)
    return epoch


@use_case
def check_epoch(
    uow: SqlUnitOfWork, who: TerminalIdentity, till_epoch: str | None, till_cursor: int | None
) -> EpochCheck:
    """The current epoch, checked against what the till says it saw.

    :param till_epoch: the epoch the till last saw (``None``: an agent that does not send it,
        or one that never synced: nothing to check).
    :param till_cursor: the highest change number the till holds.
    :returns: ``changed`` when the till saw another epoch; or when it saw this epoch *and*
        change numbers beyond the counter, which only a restore explains: then a new epoch is
        started here (``started``; listed on Sync issues with the terminal that showed it).
    """
    session = uow.session
    current = current_epoch(session)
    if till_epoch is None:
        return EpochCheck(current)
    if till_epoch != current.epoch:
        return EpochCheck(current, changed=True)
    counter = current_seq(session)
    if till_cursor is not None and till_cursor > counter:
        reason = (
            f"restore detected: terminal {who.terminal_id} had seen change {till_cursor}, "
            f"the server's counter was at {counter}"
        )
        started = _start(session, "detected", reason, who.terminal_id)
        uow.audit("terminal", who.terminal_id, "server.new_epoch", "epoch", started.epoch)
        return EpochCheck(started, changed=True, started=True)
    return EpochCheck(current)


def already_applied(session: Session, event_ids: Sequence[str]) -> int:
    """How many of ``event_ids`` the server has applied (before a re-push is applied)."""
    ids = [i for i in event_ids if isinstance(i, str)]
    if not ids:
        return 0
    stmt = select(func.count()).select_from(AppliedEvent).where(AppliedEvent.event_id.in_(ids))
    return int(session.scalar(stmt) or 0)


@use_case
def note_repush(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    epoch: str,
    *,
    received: int,
    recovered: int,
    rejected: int,
) -> None:
    """Add one re-pushed batch to the terminal's tally for ``epoch``."""
    now = clock.now()
    row = uow.session.get(EpochRepush, (epoch, who.terminal_id))
    if row is None:
        row = EpochRepush(
            epoch=epoch,
            terminal_id=who.terminal_id,
            store_id=who.store_id,
            received=0,
            recovered=0,
            rejected=0,
            first_at=now,
            last_at=now,
        )
        uow.session.add(row)
    row.received += received
    row.recovered += recovered
    row.rejected += rejected
    row.last_at = now


@dataclass(frozen=True)
class EpochReport:
    epoch: Epoch
    repushes: list[EpochRepush]


def epoch_history(
    session: Session, stores: frozenset[str] | None, limit: int = 20
) -> list[EpochReport]:
    """The newest epochs, each with what the tills (of ``stores``; ``None``: all) re-pushed."""
    rows = session.scalars(select(ServerEpoch).order_by(ServerEpoch.seq.desc()).limit(limit))
    out = []
    for row in rows:
        stmt = select(EpochRepush).where(EpochRepush.epoch == row.epoch)
        if stores is not None:
            stmt = stmt.where(EpochRepush.store_id.in_(stores))
        out.append(EpochReport(_value(row), list(session.scalars(stmt.order_by("terminal_id")))))
    return out
