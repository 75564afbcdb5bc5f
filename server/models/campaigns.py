"""Campaigns (rules in the campaign file format), head office's drafts and their simulations,
and personalised member offers. Agents never see a draft."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .sync import ChangeTracked


class Campaign(ChangeTracked, Base):
    """One campaign document (``{"rules": [...]}``), as head office imported it.

    ``store_ids`` is ``None`` for every store; agents of other stores see the campaign as
    deleted, so narrowing a campaign's stores removes it from their cache.
    """

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]]
    store_ids: Mapped[list[Any] | None]
    active: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[dt.datetime | None]
    valid_until: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class MemberOffer(ChangeTracked, Base):
    """A personalised offer: one rule (campaign format) for one member, maybe to activate."""

    __tablename__ = "member_offers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict[str, Any]]
    requires_activation: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]


class OfferActivation(Base):
    """The member switched an offer on (portal or till); the offer's change_seq is bumped too."""

    __tablename__ = "offer_activations"

    offer_id: Mapped[str] = mapped_column(ForeignKey("member_offers.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    activated_at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(16))


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
