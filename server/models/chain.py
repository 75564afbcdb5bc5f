"""The chain, its stores and their terminals (the agents' identities), and what each terminal
last reported about itself."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, str_enum
from .sync import ChangeTracked


class ChainSetting(Base):
    """A chain-wide setting (card prefix, redemption caps, ...), one JSON value per key."""

    __tablename__ = "chain_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]


class Store(ChangeTracked, Base):
    """A store. Its ``timezone`` (IANA name) is master data: it reads the campaigns' hour and
    weekday windows at the till, in re-pricing and in the simulation (``None``: a store made
    before the column existed and not set since; the campaigns' zones then apply). Tills pull
    their own store as a ``store`` record."""

    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    timezone: Mapped[str | None] = mapped_column(String(64))


class TerminalStatus(enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"


class Terminal(Base):
    """A till's agent. Holds only hashes of its one-time registration code and its credential.

    The three registration columns keep the names they were created with (``enrolment_*``,
    ``enrolled_at``): the stored names are not worth a table rebuild on SQLite."""

    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[TerminalStatus] = mapped_column(str_enum(TerminalStatus))
    registration_code_hash: Mapped[str | None] = mapped_column(
        "enrolment_code_hash", String(64), unique=True
    )
    registration_expires_at: Mapped[dt.datetime | None] = mapped_column("enrolment_expires_at")
    credential_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    registered_at: Mapped[dt.datetime | None] = mapped_column("enrolled_at")
    revoked_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]


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
