"""Campaign drafts for head office: edited rule by rule, imported and exported as JSON files,
scheduled.

Agents never see a draft (``campaign_drafts``); simulating and publishing it, and pausing a
published campaign, is :mod:`.campaign_publish`. Every document is validated by the pricing
engine itself (``parse_campaign`` and ``compile_rules``), whose error names the rule and the
field; the forms show it on that field. Every change is one use case through the unit of work,
audited with before and after; a campaign that does not exist raises :class:`CampaignNotFound`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.pricing import CampaignError, compile_rules, parse_campaign

from ..models import Campaign, CampaignDraft, Store
from .uow import SqlUnitOfWork, use_case


class CampaignFormError(ValueError):
    """A refused campaign change. ``field`` is the rule field at fault (dotted) or ``None``."""

    def __init__(
        self, message_en: str, message_pt: str, field: str | None = None, rule_id: str | None = None
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_pt = message_pt
        self.field = field
        self.rule_id = rule_id


class CampaignNotFound(LookupError):
    """No campaign, neither published nor drafted, has this id (a 404 on the web)."""


def validate(document: Any) -> None:
    """:raises CampaignFormError: with the engine's message and field."""
    try:
        parse_campaign(document)
        compile_rules(document)
    except CampaignError as exc:
        rule_id = exc.where[6:-1] if exc.where.startswith("rule '") else None
        raise CampaignFormError(exc.message_en, exc.message_pt, exc.field, rule_id) from None
    except LoyaltyError as exc:
        raise CampaignFormError(exc.message_en, exc.message_pt) from None


def parse_json(text: str) -> dict[str, Any]:
    """A campaign file's text, decimals kept exact as strings.

    :raises CampaignFormError: not JSON, or not an object.
    """
    try:
        doc = json.loads(text, parse_float=lambda s: s)
    except json.JSONDecodeError as exc:
        raise CampaignFormError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            f"JSON inválido: {exc.msg} na linha {exc.lineno}, coluna {exc.colno}",
        ) from None
    if not isinstance(doc, dict):
        raise CampaignFormError(
            'a campaign file is an object {"rules": [...]}',
            'um arquivo de campanha é um objeto {"rules": [...]}',
        )
    return doc


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class CampaignView:
    id: str
    name: str
    published: Campaign | None
    draft: CampaignDraft | None


def list_campaigns(session: Session) -> list[CampaignView]:
    pub = {c.id: c for c in session.scalars(select(Campaign))}
    drafts = {d.campaign_id: d for d in session.scalars(select(CampaignDraft))}
    ids = sorted(set(pub) | set(drafts))
    return [
        CampaignView(i, (drafts[i].name if i in drafts else pub[i].name), pub.get(i), drafts.get(i))
        for i in ids
    ]


def _stores(session: Session, text: str) -> list[str] | None:
    ids = [s.strip() for s in text.split(",") if s.strip()]
    for store_id in ids:
        if session.get(Store, store_id) is None:
            raise CampaignFormError(
                f"unknown store {store_id!r}", f"loja desconhecida {store_id!r}", "stores"
            )
    return ids or None


@use_case
def create_draft(
    uow: SqlUnitOfWork,
    campaign_id: str,
    name: str,
    stores_text: str,
    *,
    actor: str,
    now: dt.datetime,
) -> CampaignDraft:
    session = uow.session
    if (
        session.get(CampaignDraft, campaign_id) is not None
        or session.get(Campaign, campaign_id) is not None
    ):
        raise CampaignFormError(
            f"a campaign with id {campaign_id!r} exists already",
            f"já existe uma campanha com id {campaign_id!r}",
            "campaign_id",
        )
    draft = CampaignDraft(
        campaign_id=campaign_id,
        name=name,
        document={"rules": []},
        store_ids=_stores(session, stores_text),
        valid_from=None,
        valid_until=None,
        updated_at=now,
        updated_by=actor,
        simulated_at=None,
    )
    session.add(draft)
    uow.audit_change(
        actor,
        "campaign.draft.create",
        "campaign",
        campaign_id,
        after={"name": name, "stores": draft.store_ids},
    )
    return draft


def draft_for_edit(
    session: Session, campaign_id: str, *, actor: str, now: dt.datetime
) -> CampaignDraft | None:
    """The campaign's draft, opened from the published version if there is none yet."""
    draft = session.get(CampaignDraft, campaign_id)
    if draft is not None:
        return draft
    pub = session.get(Campaign, campaign_id)
    if pub is None:
        return None
    draft = CampaignDraft(
        campaign_id=campaign_id,
        name=pub.name,
        document=dict(pub.document),
        store_ids=pub.store_ids,
        valid_from=pub.valid_from,
        valid_until=pub.valid_until,
        updated_at=now,
        updated_by=actor,
        simulated_at=None,
    )
    session.add(draft)
    return draft


def open_draft(session: Session, campaign_id: str, actor: str, now: dt.datetime) -> CampaignDraft:
    """The draft to edit (see :func:`draft_for_edit`). :raises CampaignNotFound:"""
    draft = draft_for_edit(session, campaign_id, actor=actor, now=now)
    if draft is None:
        raise CampaignNotFound(campaign_id)
    return draft


def _touch(draft: CampaignDraft, actor: str, now: dt.datetime) -> None:
    draft.updated_at = now
    draft.updated_by = actor
    draft.simulated_at = None  # an edit needs a new simulation before publishing


@use_case
def save_rule(
    uow: SqlUnitOfWork,
    campaign_id: str,
    rule: dict[str, Any],
    replaces: str | None,
    *,
    actor: str,
    now: dt.datetime,
) -> None:
    """Put ``rule`` into the draft (replacing rule ``replaces``), after the engine accepts the
    whole document. :raises CampaignFormError: nothing is written."""
    draft = open_draft(uow.session, campaign_id, actor, now)
    rules = list(draft.document.get("rules", []))
    before = next((r for r in rules if r.get("id") == replaces), None) if replaces else None
    new_id = rule.get("id")
    if any(r.get("id") == new_id and r.get("id") != replaces for r in rules):
        raise CampaignFormError(
            f"rule id {new_id!r} is used by another rule",
            f"o id {new_id!r} já é de outra regra",
            "id",
        )
    if before is not None:
        rules[rules.index(before)] = rule
    else:
        rules.append(rule)
    document = {**draft.document, "rules": rules}
    validate(document)
    draft.document = document
    _touch(draft, actor, now)
    uow.audit_change(
        actor,
        "campaign.rule.save",
        "campaign",
        draft.campaign_id,
        before=before,
        after=rule,
        rule_id=new_id,
    )


@use_case
def delete_rule(
    uow: SqlUnitOfWork, campaign_id: str, rule_id: str, *, actor: str, now: dt.datetime
) -> None:
    draft = open_draft(uow.session, campaign_id, actor, now)
    rules = list(draft.document.get("rules", []))
    before = next((r for r in rules if r.get("id") == rule_id), None)
    if before is None:
        return
    rules.remove(before)
    draft.document = {**draft.document, "rules": rules}
    _touch(draft, actor, now)
    uow.audit_change(
        actor,
        "campaign.rule.delete",
        "campaign",
        draft.campaign_id,
        before=before,
        after=None,
        rule_id=rule_id,
    )


@use_case
def import_document(
    uow: SqlUnitOfWork, campaign_id: str, name: str, text: str, *, actor: str, now: dt.datetime
) -> CampaignDraft:
    """Replace (or create) the draft with an imported campaign file. :raises CampaignFormError:"""
    session = uow.session
    document = parse_json(text)
    validate(document)
    draft = draft_for_edit(session, campaign_id, actor=actor, now=now)
    before = None
    if draft is None:
        draft = CampaignDraft(
            campaign_id=campaign_id,
            name=name,
            document=document,
            store_ids=None,
            valid_from=None,
            valid_until=None,
            updated_at=now,
            updated_by=actor,
            simulated_at=None,
        )
        session.add(draft)
    else:
        before = draft.document
        draft.document = document
        draft.name = name
    _touch(draft, actor, now)
    uow.audit_change(
        actor, "campaign.import", "campaign", campaign_id, before=before, after=document
    )
    return draft


@use_case
def set_schedule(
    uow: SqlUnitOfWork,
    campaign_id: str,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime | None,
    *,
    actor: str,
    now: dt.datetime,
) -> None:
    draft = open_draft(uow.session, campaign_id, actor, now)
    if valid_from and valid_until and valid_until <= valid_from:
        raise CampaignFormError(
            "the end must be after the start", "o fim deve ser depois do início", "valid_until"
        )
    before = {"valid_from": _iso(draft.valid_from), "valid_until": _iso(draft.valid_until)}
    draft.valid_from, draft.valid_until = valid_from, valid_until
    _touch(draft, actor, now)
    uow.audit_change(
        actor,
        "campaign.schedule",
        "campaign",
        draft.campaign_id,
        before=before,
        after={"valid_from": _iso(valid_from), "valid_until": _iso(valid_until)},
    )


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
