"""The database's identity and epoch: which database this is, and since when it holds on.

A backup restored, or a fail-over to a replica that had not caught up, brings the database
back to an earlier moment: change numbers are handed out again and sales the tills were told
were applied are gone. Each such moment starts a new *epoch* (a new row here, run by
operations with ``tillclub server new-epoch`` or started when a till proves the change counter
went back); tills compare the epoch with the one they last saw and, on a change, push again
what they still hold and take a new snapshot (docs/sync-protocol.md). ``database_id`` is made
once, with the database, and is carried over from epoch to epoch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Integer, String, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


def new_epoch_id() -> str:
    return uuid.uuid4().hex


class ServerEpoch(Base):
    """One epoch; the current one is the row with the highest ``seq``."""

    __tablename__ = "server_epochs"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(40), unique=True)
    database_id: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[dt.datetime]
    # "created" (the database's first), "command" (tillclub server new-epoch) or "detected"
    # (a till had seen change numbers beyond the counter)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    detected_by: Mapped[str | None] = mapped_column(String(40))  # the terminal, if detected
    counter_at_start: Mapped[int] = mapped_column(BigInteger)


class EpochRepush(Base):
    """What one terminal pushed again after an epoch began: events sent, and how many of them
    the server did not have (the sales a restore had lost and the till brought back)."""

    __tablename__ = "epoch_repushes"

    epoch: Mapped[str] = mapped_column(String(40), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32))
    received: Mapped[int] = mapped_column(BigInteger)
    recovered: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[dt.datetime]
    last_at: Mapped[dt.datetime]


@event.listens_for(ServerEpoch.__table__, "after_create")
def _first_epoch(target: Any, connection: Any, **_kw: Any) -> None:
    # create_all (tests, the demo) gets its first epoch as the migration gives it one.
    from ..clock import now

    connection.execute(
        insert(ServerEpoch).values(
            seq=1,
            epoch=new_epoch_id(),
            database_id=new_epoch_id(),
            started_at=now(),
            source="created",
            reason="database created",
            detected_by=None,
            counter_at_start=0,
        )
    )
