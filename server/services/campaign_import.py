"""Importing a campaign file into a draft: the one use case behind ``tillclub server
import-campaign`` and the head-office import form.

An import never goes live by itself: the file lands in the campaign's draft, which agents never
see, through the same steps as the forms (the engine validates the whole document; the draft's
change is audited). Publishing is a separate, explicit step (``publish=True``, the CLI's
``--publish``), which runs the same path as the web: a simulation of the draft on a past period,
then :func:`server.services.campaign_publish.publish`. The file's JSON is read with every
fractional number kept as its exact decimal text (``"12.50"``, never a float). Importing over a
campaign that exists (a draft or a published version) replaces its rules, so it is refused
with :class:`WouldReplace`, which lists what would be replaced, unless ``replace=True`` (the
web's confirmation step, the CLI's ``--replace``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..models import Campaign, CampaignDraft, Store
from . import campaign_publish, campaigns
from .campaigns import CampaignFormError
from .uow import SqlUnitOfWork


@dataclass(frozen=True)
class RuleLine:
    """One rule as the confirmation lists it."""

    id: str
    kind: str
    name: str


@dataclass(frozen=True)
class Existing:
    """What an import over ``campaign_id`` replaces: the draft's rules (or, without a draft,
    the published version's), and the published version that stays live until publishing."""

    campaign_id: str
    name: str
    rules: tuple[RuleLine, ...]
    from_draft: bool
    published_version: int | None


class WouldReplace(CampaignFormError):
    """The campaign exists; importing needs ``replace=True``. ``existing`` says what goes."""

    def __init__(self, existing: Existing) -> None:
        n = len(existing.rules)
        super().__init__(
            f"campaign {existing.campaign_id!r} exists ({n} rules): importing replaces its "
            "rules; confirm to replace (--replace)",
            f"a campanha {existing.campaign_id!r} já existe ({n} regras): importar substitui "
            "as regras; confirme para substituir (--replace)",
            "campaign_id",
        )
        self.existing = existing


@dataclass(frozen=True)
class SimulationSettings:
    """The simulation a publishing import runs first, as the web's Simulate button does."""

    period_from: dt.datetime
    period_until: dt.datetime
    point_value: Decimal
    max_sales: int


@dataclass(frozen=True)
class ImportResult:
    campaign_id: str
    rules: tuple[RuleLine, ...]
    replaced: Existing | None
    published_version: int | None  # set when the import was published
    simulation: dict[str, Any] | None  # the simulation's result, when published


def read_document(text: str) -> dict[str, Any]:
    """The campaign file's object, fractional numbers kept as their decimal text.

    :raises CampaignFormError: not JSON, not an object, or refused by the engine (the message
        names the rule and the field).
    """
    document = campaigns.parse_json(text)
    campaigns.validate(document)
    return document


def rule_lines(document: dict[str, Any]) -> tuple[RuleLine, ...]:
    rules = document.get("rules", [])
    return tuple(
        RuleLine(str(r.get("id", "")), str(r.get("kind", "")), str(r.get("name", "")))
        for r in (rules if isinstance(rules, list) else [])
        if isinstance(r, dict)
    )


def _existing(uow: SqlUnitOfWork, campaign_id: str) -> Existing | None:
    """What an import over ``campaign_id`` would replace, or ``None`` for a new campaign."""
    draft = uow.session.get(CampaignDraft, campaign_id)
    pub = uow.session.get(Campaign, campaign_id)
    src = draft or pub
    if src is None:
        return None
    return Existing(
        campaign_id=campaign_id,
        name=draft.name if draft is not None else (pub.name if pub is not None else ""),
        rules=rule_lines(src.document),
        from_draft=draft is not None,
        published_version=pub.version if pub is not None else None,
    )


def import_campaign(
    uow: SqlUnitOfWork,
    campaign_id: str,
    name: str,
    text: str,
    *,
    actor: str,
    now: dt.datetime,
    stores: list[str] | None = None,
    replace: bool = False,
    publish: SimulationSettings | None = None,
) -> ImportResult:
    """Import the campaign file ``text`` into the draft of ``campaign_id``, all or nothing.

    :param stores: limit the draft to these stores (``None``: keep the draft's, or all).
    :param replace: allow replacing the rules of an existing campaign.
    :param publish: simulate with these settings, then publish the draft as a new version.
    :raises WouldReplace: the campaign exists and ``replace`` is false; nothing is written.
    :raises CampaignFormError: a bad file, an unknown store, or a refused publication; nothing
        is written.
    """
    document = read_document(text)
    with uow:
        session = uow.session
        before = _existing(uow, campaign_id)
        if before is not None and not replace:
            raise WouldReplace(before)
        for store_id in stores or ():
            if session.get(Store, store_id) is None:
                raise CampaignFormError(
                    f"unknown store {store_id!r}", f"loja desconhecida {store_id!r}", "stores"
                )
        draft = campaigns.import_document(
            uow, campaign_id, name, campaigns.export_json(document), actor=actor, now=now
        )
        if stores:
            draft.store_ids = list(stores)
        version = None
        simulation = None
        if publish is not None:
            session.flush()
            sim = campaign_publish.run_simulation(
                uow,
                campaign_id,
                publish.period_from,
                publish.period_until,
                actor=actor,
                now=now,
                point_value=publish.point_value,
                max_sales=publish.max_sales,
            )
            simulation = sim.result
            version = campaign_publish.publish(uow, campaign_id, actor=actor, now=now).version
        uow.commit()
    return ImportResult(campaign_id, rule_lines(document), before, version, simulation)


def last_month(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The previous calendar month as ``[start, end)`` in UTC: the web's default simulation."""
    first = today.replace(day=1)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    return (
        dt.datetime(prev.year, prev.month, 1, tzinfo=dt.UTC),
        dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC),
    )
