"""What the ledger's jobs keep between runs: each member's next due moment, the jobs' cursors,
and the advance notices of expiring points and cashback.

``ledger_due.due_at`` is the earliest moment something happens to a member's ledger by itself
(a lot expires, a cashback credit matures), or a moment already past when an entry arrived
that the expiry job must look at again (a late redemption of a lot since expired). The expiry
job reads only the members whose ``due_at`` has come, through its index, never every member.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class LedgerDue(Base):
    __tablename__ = "ledger_due"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[dt.datetime | None]

    # (due_at, member_id): the jobs' keyset order, so each batch is an index range scan.
    __table_args__ = (Index("ix_ledger_due_due_at_member_id", "due_at", "member_id"),)


class JobCursor(Base):
    """A job's position in an append-only stream (e.g. the last ledger change number read)."""

    __tablename__ = "job_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class ExpiryNotice(Base):
    """One amount of a member's points or cashback that expires on one day, listed by the daily
    notice job for the messages feature to send; ``sent_at`` is set by whoever sends it."""

    __tablename__ = "expiry_notices"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(16), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    amount: Mapped[Decimal]
    listed_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_expiry_notices_listed_at", "listed_at"),)
