"""Side tables of the head-office web UI: login state, store scopes, drafts, segments, reports.

None of these change an existing table: each hangs off one (``admin_users``, ``campaigns``,
``members``, ``terminals``) by primary key or a plain id, so the UI can be added to a running
server with one migration (``admin_0001``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class AdminLoginState(Base):
    """Failed logins in a row and the lockout they caused (one row per admin user)."""

    __tablename__ = "admin_login_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]


class AdminUserStore(Base):
    """A store a store manager may see; managers without rows see nothing."""

    __tablename__ = "admin_user_stores"

    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), primary_key=True)


class AdminIdCounter(Base):
    """The server's own ledger-entry counter (ids ``E:HQ:<worker>:<seq>``), one row per worker."""

    __tablename__ = "admin_id_counters"

    worker: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class CampaignDraft(Base):
    """A campaign being edited: agents never see it until it is published into ``campaigns``."""

    __tablename__ = "campaign_drafts"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]]
    store_ids: Mapped[list[Any] | None]
    valid_from: Mapped[dt.datetime | None]
    valid_until: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(254))
    simulated_at: Mapped[dt.datetime | None]


class CampaignSimulation(Base):
    """A saved simulation: the draft's rules re-pricing a period of recorded sales."""

    __tablename__ = "campaign_simulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(254))
    period_from: Mapped[dt.datetime]
    period_until: Mapped[dt.datetime]
    result: Mapped[dict[str, Any]]


class MemberSegment(Base):
    """A member's RFM scores and value class, as of the last segmentation run."""

    __tablename__ = "member_segments"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[Decimal]
    contribution: Mapped[Decimal]
    r_score: Mapped[int] = mapped_column(Integer)
    f_score: Mapped[int] = mapped_column(Integer)
    m_score: Mapped[int] = mapped_column(Integer)
    rfm_segment: Mapped[str] = mapped_column(String(32), index=True)
    value_class: Mapped[str] = mapped_column(String(32), index=True)
    computed_at: Mapped[dt.datetime]


class TerminalReport(Base):
    """What an agent last told about itself at sync: its version, outbox depth, the age of
    its oldest unsent event and its last sync error (``None``: none)."""

    __tablename__ = "terminal_reports"

    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    agent_version: Mapped[str | None] = mapped_column(String(40))
    queue_depth: Mapped[int | None] = mapped_column(Integer)
    oldest_event_age_s: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[dt.datetime]


class VoucherBatch(Base):
    """Vouchers issued together; each voucher's id is ``<batch id>-<5-digit number>``."""

    __tablename__ = "voucher_batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[dict[str, Any]]
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(254))
