"""What the server noticed about a till's clock: events dated in the future or going back,
a till whose clock disagrees with the server's, and vouchers used outside their validity as
judged by the server's time (``server/services/ingest_clock.py`` writes them; Sync issues
lists them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class ClockIssue(Base):
    __tablename__ = "clock_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # future | backwards | till_clock | voucher_validity
    kind: Mapped[str] = mapped_column(String(24))
    terminal_id: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(32))
    # the event concerned; for ``till_clock`` a key per terminal and hour (one row an hour)
    ref: Mapped[str] = mapped_column(String(160))
    occurred_at: Mapped[dt.datetime | None]  # the till's time for the event
    received_at: Mapped[dt.datetime]  # the server's time when it arrived
    skew_seconds: Mapped[int | None] = mapped_column(Integer)  # till minus server, if known
    detail: Mapped[dict[str, Any]]

    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_clock_issues_kind_ref"),
        Index("ix_clock_issues_received_at", "received_at"),
    )
