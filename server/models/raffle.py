"""Raffle campaigns ("números da sorte") and the number blocks handed to stores and terminals.

A terminal prints numbers only from blocks assigned to it, so offline tills never print the
same number. A block is one series and a range of elements 00000-99999.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .sync import ChangeTracked


class RaffleCampaign(ChangeTracked, Base):
    __tablename__ = "raffle_campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The SPA/MF (SCPC) authorisation certificate, quoted on every printed ticket.
    authorisation_number: Mapped[str] = mapped_column(String(64))
    spend_per_number: Mapped[Decimal]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    rules: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)


class RaffleNumberBlock(ChangeTracked, Base):
    __tablename__ = "raffle_number_blocks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    raffle_id: Mapped[str] = mapped_column(ForeignKey("raffle_campaigns.id"), index=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals.id"))
    series: Mapped[int] = mapped_column(Integer)
    first_element: Mapped[int] = mapped_column(Integer)
    last_element: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[dt.datetime]

    __table_args__ = (
        UniqueConstraint("raffle_id", "series", "first_element"),
        CheckConstraint(
            "first_element >= 0 AND first_element <= last_element AND last_element <= 99999",
            name="element_range",
        ),
    )
