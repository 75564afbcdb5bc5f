"""The points and cashback ledger: append-only, one row per entry, unique by entry id; and the
counter head office takes its adjustment ids from.

No foreign key to ``members``: entries are facts made at the till, possibly for a member whose
enrolment event has not arrived yet; they count once the member exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .sync import ChangeTracked


class LedgerEntryRow(ChangeTracked, Base):
    __tablename__ = "ledger_entries"

    entry_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    effective_at: Mapped[dt.datetime]
    available_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    sale_id: Mapped[str | None] = mapped_column(String(128), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(64))
    store_id: Mapped[str | None] = mapped_column(String(32))
    terminal_id: Mapped[str | None] = mapped_column(String(40))
    reverses: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(200))
    event_id: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_ledger_entries_member_currency", "member_id", "currency"),)


class AdminIdCounter(Base):
    """The server's own ledger-entry counter (ids ``E:HQ:<worker>:<seq>``), one row per worker."""

    __tablename__ = "admin_id_counters"

    worker: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class HeldEntry(Base):
    """A ledger entry a till sent that grants more than the server lets a till grant alone.

    It is not in ``ledger_entries`` (no balance counts it) until head office approves it on
    the *Ajustes retidos* page; approval inserts it there under its own entry id, so it is
    applied exactly once; a rejection keeps the row for the audit trail. ``entry`` is the
    till's entry as sent (``LedgerEntry.to_dict()``).
    """

    __tablename__ = "held_entries"

    entry_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128))
    store_id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(String(40), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    sale_id: Mapped[str | None] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(40))  # why it is held (docs/sync-protocol.md)
    detail: Mapped[str] = mapped_column(String(300))
    entry: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), index=True)  # held | approved | rejected
    held_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))


class RefundReversal(Base):
    """A reversal a till's refund sent, and what the server made of it (``services/refund_caps``).

    Every refund reversal comes here first: ``waiting`` while the entry it reverses is not in
    the ledger (its sale not arrived yet, or its credit held for head office), then
    ``applied`` (as sent), ``clipped`` (in part, under a derived id: the cap was nearly
    reached) or ``void`` (nothing: the cap was reached, the entry was rejected or refunded
    while held, or is of another sale). ``applied`` is what reached the ledger; the cumulative
    cap of an entry is the sum of ``applied`` over the rows naming it. ``entry`` is the till's
    entry as sent (``None`` for the reversals applied before this table, backfilled).
    """

    __tablename__ = "refund_reversals"

    entry_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reverses: Mapped[str] = mapped_column(String(128), index=True)
    event_id: Mapped[str | None] = mapped_column(String(128))
    refund_id: Mapped[str | None] = mapped_column(String(128))
    sale_id: Mapped[str | None] = mapped_column(String(128))  # the refund's sale
    store_id: Mapped[str | None] = mapped_column(String(32))
    terminal_id: Mapped[str | None] = mapped_column(String(40))
    member_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]  # as the till sent it (signed)
    applied: Mapped[Decimal]  # what reached the ledger (signed, 0 while waiting or void)
    applied_id: Mapped[str | None] = mapped_column(String(128))  # its own id, or a derived one
    status: Mapped[str] = mapped_column(String(16))  # waiting | applied | clipped | void
    code: Mapped[str | None] = mapped_column(String(40))  # why not applied as sent
    entry: Mapped[dict[str, Any] | None]
    recorded_at: Mapped[dt.datetime]
    settled_at: Mapped[dt.datetime | None]
