"""Sync bookkeeping: the server-wide change sequence and the record of applied events.

Every row an agent pulls carries ``change_seq``, taken from the single ``change_counter`` row.
Taking a number locks that row until commit, so numbers become visible in the order they were
handed out: a reader that has seen ``change_seq = n`` can never later find a committed row with
a smaller one (a plain sequence does not promise that, and a pull would skip rows).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, BigInteger, Index, Integer, String, event, update
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from ..db import Base


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


event.listen(
    ChangeCounter.__table__,
    "after_create",
    DDL("INSERT INTO change_counter (id, value) VALUES (1, 0)"),  # type: ignore[no-untyped-call]
)


class ChangeTracked:
    """Mixin: a row agents pull, stamped with the change sequence on every insert or update."""

    @declared_attr
    def change_seq(cls) -> Mapped[int]:
        return mapped_column(BigInteger, index=True)


def reserve_seqs(session: Session, count: int) -> range:
    """Take ``count`` consecutive change numbers; the counter row stays locked until commit."""
    if count <= 0:
        return range(0)
    stmt = (
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + count)
        .returning(ChangeCounter.value)
    )
    last = session.execute(stmt).scalar_one()
    return range(last - count + 1, last + 1)


def current_seq(session: Session) -> int:
    """The last change number handed out (committed or not yet visible to this reader)."""
    return session.get_one(ChangeCounter, 1).value


@event.listens_for(Session, "before_flush")
def _stamp_change_seq(session: Session, _ctx: object, _instances: object) -> None:
    # ORM writes (admin commands, enrolment, tests) get their numbers here, at flush, so no
    # service can forget them. Bulk ingest sets change_seq itself.
    touched = [
        obj
        for obj in list(session.new) + list(session.dirty)
        if isinstance(obj, ChangeTracked) and (obj in session.new or session.is_modified(obj))
    ]
    if not touched:
        return
    seqs = reserve_seqs(session, len(touched))
    for obj, seq in zip(touched, seqs, strict=True):
        obj.change_seq = seq


class AppliedEvent(Base):
    """One row per pushed event the server has applied; its primary key makes replays no-ops."""

    __tablename__ = "applied_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(32))
    applied_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_applied_events_terminal_applied", "terminal_id", "applied_at"),)


class RejectedEvent(Base):
    """The last rejection of an event id by the terminal that pushed it, so head office can see
    what agents keep failing on; keyed by terminal too, so a till pushing another's event id
    is listed as itself and never touches the other's row."""

    __tablename__ = "rejected_events"

    terminal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer)
