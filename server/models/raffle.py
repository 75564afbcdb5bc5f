"""Raffle campaigns ("números da sorte") and the number blocks handed to stores and terminals.

A terminal prints numbers only from blocks assigned to it, so offline tills never print the
same number. A block is a run of *positions* (``first_position``, ``size``) of the campaign's
keyed permutation (``loyalty.rewards.raffle``); blocks with no store and no terminal are the
server's reserve for owed tickets. The older series/element columns stay for blocks made
before positions. ``raffle_tickets`` holds every number given out; a unique constraint on
(campaign, number) makes a number given twice impossible.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
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
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"), index=True)
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals.id"))
    series: Mapped[int | None] = mapped_column(Integer)
    first_element: Mapped[int | None] = mapped_column(Integer)
    last_element: Mapped[int | None] = mapped_column(Integer)
    first_position: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[dt.datetime]

    __table_args__ = (
        UniqueConstraint("raffle_id", "series", "first_element"),
        UniqueConstraint("raffle_id", "first_position", name="uq_raffle_number_blocks_position"),
        CheckConstraint(
            "first_element >= 0 AND first_element <= last_element AND last_element <= 99999",
            name="element_range",
        ),
    )


class TicketStatus:
    ISSUED = "issued"
    OWED = "owed"
    VOID = "void"


class RaffleTicketRow(Base):
    __tablename__ = "raffle_tickets"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "<sale>/<campaign>/<i>"
    raffle_id: Mapped[str] = mapped_column(ForeignKey("raffle_campaigns.id"), index=True)
    number: Mapped[int | None] = mapped_column(BigInteger)
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.sale_id"), index=True)
    terminal_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8))
    by_server: Mapped[bool] = mapped_column(default=False)  # numbered from the server's reserve
    issued_at: Mapped[dt.datetime]

    __table_args__ = (
        UniqueConstraint("raffle_id", "number", name="uq_raffle_tickets_number"),
        CheckConstraint("status IN ('issued', 'owed', 'void')", name="status"),
    )


class RaffleVoid(Base):
    """A ticket a refund took back; kept apart so a refund that arrives before its sale
    still voids the ticket when the sale comes."""

    __tablename__ = "raffle_voids"

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(128))
    sale_id: Mapped[str] = mapped_column(String(128), index=True)
