"""Members and their printed cards. The CPF is stored encrypted plus a keyed hash for lookup."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, str_enum
from .sync import ChangeTracked


class Member(ChangeTracked, Base):
    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # AES-GCM ciphertext (see server.security); never sent to agents, never logged.
    cpf_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    cpf_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    consent_terms: Mapped[bool] = mapped_column(default=False)
    consent_terms_at: Mapped[dt.datetime | None]
    consent_marketing: Mapped[bool] = mapped_column(default=False)
    consent_marketing_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    enrolled_store_id: Mapped[str | None] = mapped_column(String(32))
    enrolled_terminal_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Set by the tier review job (server.services.tiers), synced to the tills for
    # ``audience.tiers``; None until the first review, or when the chain has no ladder.
    tier: Mapped[str | None] = mapped_column(String(32))
    tier_reviewed_at: Mapped[dt.datetime | None]  # the last full (up or down) review


class CardStatus(enum.Enum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    REPLACED = "replaced"


class Card(ChangeTracked, Base):
    """A printed card number (EAN-13 or Code 128) belonging to one member."""

    __tablename__ = "cards"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[CardStatus] = mapped_column(str_enum(CardStatus))
    replaced_by: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
