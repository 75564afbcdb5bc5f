"""Sales pushed by agents (header, lines, the rules that fired) and refunds.

Quantities are stored as integer thousandths (weighed goods to the gram) for the same reason
money is stored in cents: no float, the same on both databases.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, Thousandths, str_enum


class RepriceStatus(enum.Enum):
    """The server's re-pricing of a pushed sale with the rules in force (never a rejection)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not_checked"
    ERROR = "error"


class Sale(Base):
    __tablename__ = "sales"

    sale_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    store_id: Mapped[str] = mapped_column(String(32), index=True)
    terminal_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    discount_total: Mapped[Decimal]
    total: Mapped[Decimal]
    reprice_status: Mapped[RepriceStatus] = mapped_column(str_enum(RepriceStatus))
    reprice_detail: Mapped[dict[str, Any] | None]
    recorded_at: Mapped[dt.datetime]
    # What the till priced the member with (``SaleRecorded.member_context``), for simulations.
    member_context: Mapped[dict[str, Any] | None]
    # The rule coupon codes presented at the till (``SaleRecorded.coupon_codes``).
    coupon_codes: Mapped[list[Any] | None]


class SaleLine(Base):
    __tablename__ = "sale_lines"

    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.sale_id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    category_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Thousandths())
    unit_price: Mapped[Decimal]
    gross: Mapped[Decimal]
    discount: Mapped[Decimal]
    net: Mapped[Decimal]
    brand: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[Any] | None]


class SaleAppliedRule(Base):
    """One line of the sale's explanation: a rule (or voucher) and what it contributed."""

    __tablename__ = "sale_applied_rules"

    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.sale_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    line_no: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(300))


class Refund(Base):
    """A refund or cancellation; no foreign key, the sale may arrive after its refund."""

    __tablename__ = "refunds"

    refund_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    sale_id: Mapped[str] = mapped_column(String(128), index=True)
    store_id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[dt.datetime]
    amount: Mapped[Decimal]
    lines: Mapped[list[Any]]
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime]
    # Voucher ids the full refund gave back (None: none, or recorded before 0006): a use of
    # one of them arriving after the refund is restored on arrival.
    restored_vouchers: Mapped[list[Any] | None]
