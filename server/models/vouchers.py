"""Vouchers, every use pushed by agents, the conflicts head office must see, and the batches
head office issues.

Columns mirror ``loyalty.rewards.vouchers.Voucher``. Agents mark vouchers used locally while
offline, so two tills can use the same single-use voucher. Every use is kept; which uses stand
is decided by ``loyalty.rewards.voucher_settlement.settle`` (deterministic for any arrival
order) and each use past the limit is a ``VoucherConflict`` row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .sync import ChangeTracked


class Voucher(ChangeTracked, Base):
    __tablename__ = "vouchers"

    voucher_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    percent: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    min_subtotal: Mapped[Decimal]
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    store_ids: Mapped[list[Any] | None]
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    void: Mapped[bool] = mapped_column(default=False)
    # The sale ids of the uses that stand, as last settled; agents count them offline.
    accepted_sale_ids: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]
    # Set by the voucher expiry job once valid_until has passed (the row then syncs again).
    expired_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_vouchers_expiry", "expired_at", "valid_until"),)


class VoucherUseRow(Base):
    __tablename__ = "voucher_uses"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    voucher_id: Mapped[str] = mapped_column(ForeignKey("vouchers.voucher_id"), index=True)
    sale_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[str | None] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime]
    # Set when a full refund of the sale gave the use back; settlement leaves it out.
    restored_at: Mapped[dt.datetime | None]
    restored_by: Mapped[str | None] = mapped_column(String(128))  # the refund's id


class VoucherConflict(Base):
    """A use past the voucher's limit: the sale stands, head office decides what to do."""

    __tablename__ = "voucher_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voucher_id: Mapped[str] = mapped_column(ForeignKey("vouchers.voucher_id"), index=True)
    sale_id: Mapped[str] = mapped_column(String(128))
    terminal_id: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(32))
    winners: Mapped[list[Any]]
    detected_at: Mapped[dt.datetime]
    resolved: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("voucher_id", "sale_id"),)


class VoucherBatch(Base):
    """Vouchers issued together; each voucher's id is ``<batch id>-<5-digit number>``."""

    __tablename__ = "voucher_batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[dict[str, Any]]
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(254))
