"""Compute every member's RFM scores and value class from recorded sales and store them.

Reads one window (``window_days``, default 365) of sales and earned rewards per member, runs
the pure scoring of :mod:`.segments`, and replaces the ``member_segments`` rows in one
transaction (members without a sale in the window drop out of every segment). Run from the
Segments page (audited) or ``compute(...)`` in a scheduled job.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import LedgerEntryRow, Member, MemberSegment, Sale
from .segments import MemberFigures, score_members
from .uow import SqlUnitOfWork, use_case


def figures(
    session: Session, now: dt.datetime, *, window_days: int, point_value: Decimal
) -> list[MemberFigures]:
    since = now - dt.timedelta(days=window_days)
    sales = session.execute(
        select(Sale.member_id, func.max(Sale.occurred_at), func.count(), func.sum(Sale.total))
        .join(Member, Member.id == Sale.member_id)
        .where(Sale.member_id.is_not(None), Sale.occurred_at >= since, Sale.occurred_at <= now)
        .group_by(Sale.member_id)
    ).all()
    rewards: dict[tuple[str, str], Decimal] = {
        (m, c): Decimal(total or 0)
        for m, c, total in session.execute(
            select(
                LedgerEntryRow.member_id, LedgerEntryRow.currency, func.sum(LedgerEntryRow.amount)
            )
            .where(LedgerEntryRow.kind == "earn", LedgerEntryRow.effective_at >= since)
            .group_by(LedgerEntryRow.member_id, LedgerEntryRow.currency)
        )
    }
    out = []
    for member_id, last, count, total in sales:
        if member_id is None:  # the query groups members' sales only
            continue
        # SUM and MAX keep the column types: Decimal amounts and aware datetimes.
        spend = Decimal(total or 0)
        points = rewards.get((member_id, "points"), Decimal(0))
        cost = points * point_value + rewards.get((member_id, "cashback"), Decimal(0))
        out.append(
            MemberFigures(
                member_id,
                max(0, (now - last).days),
                int(count),
                spend,
                cost.quantize(Decimal("0.01")),
            )
        )
    return out


@use_case
def compute(
    uow: SqlUnitOfWork,
    now: dt.datetime,
    *,
    window_days: int = 365,
    margin: Decimal,
    point_value: Decimal,
    actor: str,
) -> int:
    """Replace all members' segments; returns how many members were scored.

    Members whose segment names change get their ``updated_at`` touched, which gives their
    row a new change number, so agents re-pull them (the member feed carries the segments
    once it reads ``member_segments``; see docs/admin-ui.md).
    """
    session = uow.session
    figs = figures(session, now, window_days=window_days, point_value=point_value)
    scored = score_members(figs, margin=margin)
    by_id = {f.member_id: f for f in figs}
    before = {
        m: (r, v)
        for m, r, v in session.execute(
            select(MemberSegment.member_id, MemberSegment.rfm_segment, MemberSegment.value_class)
        )
    }
    after = {x.member_id: (x.rfm_segment, x.value_class) for x in scored}
    changed = [m for m in set(before) | set(after) if before.get(m) != after.get(m)]
    for i in range(0, len(changed), 500):
        for member in session.scalars(select(Member).where(Member.id.in_(changed[i : i + 500]))):
            member.updated_at = now
    session.execute(delete(MemberSegment))
    for s in scored:
        f = by_id[s.member_id]
        session.add(
            MemberSegment(
                member_id=s.member_id,
                recency_days=f.recency_days,
                frequency=f.frequency,
                monetary=f.monetary,
                contribution=s.contribution,
                r_score=s.r,
                f_score=s.f,
                m_score=s.m,
                rfm_segment=s.rfm_segment,
                value_class=s.value_class,
                computed_at=now,
            )
        )
    uow.audit_change(
        actor,
        "segments.compute",
        "segments",
        "all",
        after={"members": len(scored), "changed": len(changed), "window_days": window_days},
    )
    return len(scored)


def summary(session: Session) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {"value": {}, "rfm": {}}
    for klass, n in session.execute(
        select(MemberSegment.value_class, func.count()).group_by(MemberSegment.value_class)
    ):
        out["value"][klass] = n
    for seg, n in session.execute(
        select(MemberSegment.rfm_segment, func.count()).group_by(MemberSegment.rfm_segment)
    ):
        out["rfm"][seg] = n
    return out
