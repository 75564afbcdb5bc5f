"""Head office's member segments (RFM and value class), recomputed by the segments use case
(``server.services.segment_job``) and sent to tills with each member."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


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
