"""What the server noticed about what tills did offline or with a wrong clock: events dated in
the future or going back, a till whose clock disagrees with the server's, vouchers used
outside their validity as judged by the server's time, and members whose balance went below
zero (two offline tills redeeming the same points). ``server/services/ingest_clock.py``
writes them after each push; Sync issues lists them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class TillIssue(Base):
    __tablename__ = "till_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # future | backwards | till_clock | voucher_validity | overdraft (ingest_clock.KINDS),
    # refund_reversal (a refund reversal clipped or void: services/refund_caps.py)
    kind: Mapped[str] = mapped_column(String(24))
    terminal_id: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(32))
    # what it is about: the event (future, backwards), event and voucher (voucher_validity),
    # member and currency (overdraft: one row while negative), terminal and hour (till_clock)
    ref: Mapped[str] = mapped_column(String(160))
    occurred_at: Mapped[dt.datetime | None]  # the till's time for the event
    received_at: Mapped[dt.datetime]  # the server's time when it arrived (last seen)
    skew_seconds: Mapped[int | None] = mapped_column(Integer)  # till minus server, if known
    detail: Mapped[dict[str, Any]]

    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_till_issues_kind_ref"),
        Index("ix_till_issues_received_at", "received_at"),
    )
