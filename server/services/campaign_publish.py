"""Publishing a campaign draft: its simulation, the copy into ``campaigns`` that agents pull,
and pausing or resuming a published campaign.

Publishing requires a simulation run after the draft's last edit. The campaign gets a new
version and, through the ORM flush hook, a new change number, so every agent of its stores
pulls it at the next sync; the draft is closed. Pause and resume bump the version the same way.
:func:`put_campaign` writes a campaign document straight to its published version (the demo's
seed, tests, benchmarks): no draft, no simulation, the same checks (the engine, the raffle
ratio) and audit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError

from .. import clock
from ..models import Campaign, CampaignDraft, CampaignSimulation
from .campaigns import CampaignFormError, open_draft, validate
from .raffle import check_campaign_raffles
from .simulation import simulate
from .uow import SqlUnitOfWork, use_case


@use_case
def run_simulation(
    uow: SqlUnitOfWork,
    campaign_id: str,
    period_from: dt.datetime,
    period_until: dt.datetime,
    *,
    actor: str,
    now: dt.datetime,
    point_value: Decimal,
    max_sales: int,
) -> CampaignSimulation:
    """Simulate the draft on ``[period_from, period_until)`` and save the result.

    :raises CampaignNotFound: no such campaign.
    """
    session = uow.session
    draft = open_draft(session, campaign_id, actor, now)
    validate(draft.document)
    result = simulate(
        session,
        draft.campaign_id,
        draft.document,
        draft.store_ids,
        period_from,
        period_until,
        max_sales=max_sales,
    )
    row = CampaignSimulation(
        campaign_id=draft.campaign_id,
        created_at=now,
        created_by=actor,
        period_from=period_from,
        period_until=period_until,
        result=result.to_json(point_value),
    )
    session.add(row)
    draft.simulated_at = now
    uow.audit_change(
        actor,
        "campaign.simulate",
        "campaign",
        draft.campaign_id,
        after=row.result["total_cost"],
    )
    return row


def latest_simulation(session: Session, campaign_id: str) -> CampaignSimulation | None:
    stmt = select(CampaignSimulation).where(CampaignSimulation.campaign_id == campaign_id)
    return session.scalars(stmt.order_by(CampaignSimulation.id.desc()).limit(1)).one_or_none()


@use_case
def publish(uow: SqlUnitOfWork, campaign_id: str, *, actor: str, now: dt.datetime) -> Campaign:
    """Copy the draft into ``campaigns`` as a new, active version; the draft is closed.

    :raises CampaignFormError: no draft, no simulation since the last edit, invalid rules, or a
        raffle rule whose ratio is not its raffle's (or whose raffle does not exist).
    """
    session = uow.session
    draft = session.get(CampaignDraft, campaign_id)
    if draft is None:
        raise CampaignFormError("there is no draft to publish", "não há rascunho para publicar")
    if draft.simulated_at is None or draft.simulated_at < draft.updated_at:
        raise CampaignFormError(
            "simulate the campaign after its last change before publishing",
            "simule a campanha depois da última alteração antes de publicar",
        )
    validate(draft.document)
    try:  # one raffle ratio: what the portal promises is what the till counts
        check_campaign_raffles(session, draft.document, require_known=True)
    except LoyaltyError as exc:
        raise CampaignFormError(exc.message_en, exc.message_pt, "per_amount") from None
    row = session.get(Campaign, campaign_id)
    before = None
    if row is None:
        row = Campaign(id=campaign_id, version=0, created_at=now, active=True)
        session.add(row)
    else:
        before = {"version": row.version, "active": row.active, "document": row.document}
    row.name = draft.name
    row.document = draft.document
    row.store_ids = draft.store_ids
    row.valid_from = draft.valid_from
    row.valid_until = draft.valid_until
    row.active = True
    row.version += 1
    row.updated_at = now
    session.delete(draft)
    uow.audit_change(
        actor,
        "campaign.publish",
        "campaign",
        campaign_id,
        before=before,
        after={
            "version": row.version,
            "active": True,
            "document": row.document,
            "stores": row.store_ids,
        },
    )
    return row


@use_case
def set_active(
    uow: SqlUnitOfWork, campaign_id: str, active: bool, *, actor: str, now: dt.datetime
) -> Campaign:
    """Pause (``active=False``) or resume a published campaign; agents pull the change."""
    session = uow.session
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise CampaignFormError("campaign not published", "campanha não publicada")
    before = row.active
    row.active = active
    row.version += 1
    row.updated_at = now
    uow.audit_change(
        actor,
        "campaign.resume" if active else "campaign.pause",
        "campaign",
        campaign_id,
        before={"active": before},
        after={"active": active, "version": row.version},
    )
    return row


@use_case
def put_campaign(
    uow: SqlUnitOfWork,
    campaign_id: str,
    name: str,
    document: dict[str, Any],
    store_ids: list[str] | None = None,
    *,
    active: bool = True,
    actor: str = "cli",
) -> int:
    """Create or replace a published campaign straight from its document; its new version.

    :raises CampaignFormError: the engine refuses the rules.
    :raises LoyaltyError: a raffle rule whose ``per_amount`` is not its raffle's
        ``spend_per_number`` (nothing is written).
    """
    validate(document)
    check_campaign_raffles(uow.session, document)  # one raffle ratio (docs/raffle.md)
    now = clock.now()
    row = uow.session.get(Campaign, campaign_id)
    if row is None:
        row = Campaign(id=campaign_id, version=0, created_at=now)
        uow.session.add(row)
    row.name = name
    row.document = document
    row.store_ids = store_ids
    row.active = active
    row.version += 1
    row.updated_at = now
    uow.audit("admin", actor, "campaign.put", "campaign", campaign_id, version=row.version)
    return row.version
