"""Keeping ``ledger_due`` (each member's next expiry or maturity) up to date from the ledger.

Nothing in the ingest path writes it: the expiry job first reads the ledger entries that
arrived since its cursor (the change sequence, which becomes visible in order, see
``server/models/sync.py``) and lowers each member's ``due_at`` to the earliest ``expires_at``
or ``available_at`` they carry. A redemption carries its lot's expiry, so one that arrives after
its lot expired brings the member due at once, and the job gives back what its expiry took
twice. Lowering is idempotent, so a run killed half-way reads the same changes again harmlessly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import JobCursor, LedgerDue, LedgerEntryRow
from ..models.sync import current_seq

CURSOR = "ledger_due"
_E = LedgerEntryRow.__table__
_D = cast(Table, LedgerDue.__table__)


def _insert(session: Session) -> object:
    name = session.get_bind().dialect.name
    return postgresql.insert(_D) if name == "postgresql" else sqlite.insert(_D)


def lower_due(session: Session, due: Mapping[str, dt.datetime]) -> None:
    """Set each member's ``due_at`` to the earlier of its own and ``due[member]``."""
    if not due:
        return
    ins = _insert(session).values(  # type: ignore[attr-defined]
        [{"member_id": m, "due_at": at} for m, at in due.items()]
    )
    new, old = ins.excluded.due_at, _D.c.due_at
    ins = ins.on_conflict_do_update(
        index_elements=[_D.c.member_id],
        set_={"due_at": case((old.is_(None), new), (new < old, new), else_=old)},
    )
    session.execute(ins)


def cursor(session: Session, name: str = CURSOR) -> int:
    row = session.get(JobCursor, name)
    return 0 if row is None else row.position


def set_cursor(session: Session, position: int, name: str = CURSOR) -> None:
    row = session.get(JobCursor, name)
    if row is None:
        session.add(JobCursor(name=name, position=position))
    else:
        row.position = position


def absorb(session: Session, span: int) -> tuple[int, bool]:
    """Read the ledger changes after the cursor, up to ``span`` change numbers, into
    ``ledger_due``; the caller commits. :returns: (entries read, whether more remain)."""
    low = cursor(session)
    top = current_seq(session)
    if low >= top:
        return 0, False
    high = min(low + span, top)
    when = case(
        (
            and_(
                _E.c.available_at.is_not(None),
                (_E.c.expires_at.is_(None)) | (_E.c.available_at < _E.c.expires_at),
            ),
            _E.c.available_at,
        ),
        else_=_E.c.expires_at,
    )
    window = and_(_E.c.change_seq > low, _E.c.change_seq <= high)
    read = session.scalar(select(func.count()).select_from(_E).where(window)) or 0
    # One statement: the earliest moment per member in the window, lowered into ledger_due.
    earliest = (
        select(_E.c.member_id, func.min(when).label("due_at"))
        .where(window)
        .group_by(_E.c.member_id)
        .having(func.min(when).is_not(None))
    )
    if session.get_bind().dialect.name != "postgresql":
        # SQLite stores datetimes as text, and the bulk ingest's text differs from
        # SQLAlchemy's: go through Python, so set_due's comparison meets its own format.
        lower_due(session, {m: at for m, at in session.execute(earliest)})
        set_cursor(session, high)
        return read, high < top
    ins = _insert(session).from_select(["member_id", "due_at"], earliest)  # type: ignore[attr-defined]
    new, old = ins.excluded.due_at, _D.c.due_at
    session.execute(
        ins.on_conflict_do_update(
            index_elements=[_D.c.member_id],
            set_={"due_at": case((old.is_(None), new), (new < old, new), else_=old)},
        )
    )
    set_cursor(session, high)
    return read, high < top


def set_due(
    session: Session, rows: list[tuple[str, dt.datetime | None, dt.datetime | None]]
) -> None:
    """Move members' ``due_at`` from the value the job read to the one its fold found, unless
    a concurrent run lowered it meanwhile (then that run's value stands)."""
    if not rows:
        return
    stmt = (
        update(_D)
        .where(_D.c.member_id == bindparam("m"), _D.c.due_at.is_not_distinct_from(bindparam("old")))
        .values(due_at=bindparam("new"))
    )
    session.execute(stmt, [{"m": m, "old": old, "new": new} for m, old, new in rows])
