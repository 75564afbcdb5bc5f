"""Consents: separate and explicit (programme terms; marketing by e-mail; by SMS), with history.

Each change appends a ``ConsentRecord`` (never edited); ``Member.consent_marketing``, what the
agents sync, is true while either marketing consent is. The terms consent is withdrawn by
deleting the account (``lgpd.delete_account``): it is the basis of membership.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Member
from ..models.portal import ConsentRecord
from ..services.uow import SqlUnitOfWork
from .errors import PortalError
from .fields import err

PURPOSES = ("terms", "marketing_email", "marketing_sms")


def backfill_till_consents(s: Session, member: Member) -> None:
    """Start the history of a till enrolment with the consents the till recorded."""
    if current_consents(s, member.id):
        return
    if member.consent_terms:
        s.add(
            ConsentRecord(
                member_id=member.id,
                purpose="terms",
                granted=True,
                at=member.consent_terms_at or member.created_at,
                channel="till",
                terms_version=None,
            )
        )
    if member.consent_marketing:
        # The till asks one marketing question; it covered every channel the shopper gave.
        for purpose in ("marketing_email", "marketing_sms"):
            s.add(
                ConsentRecord(
                    member_id=member.id,
                    purpose=purpose,
                    granted=True,
                    at=member.consent_marketing_at or member.created_at,
                    channel="till",
                    terms_version=None,
                )
            )
    s.flush()


def set_consents(
    s: Session,
    member: Member,
    wanted: dict[str, bool],
    now: dt.datetime,
    channel: str,
    terms_version: str | None,
    *,
    initial: bool = False,
) -> list[str]:
    """Apply ``wanted`` consents, append history for each change; returns the purposes changed."""
    current = current_consents(s, member.id)
    changed = []
    for purpose, granted in wanted.items():
        if purpose not in PURPOSES:
            raise ValueError(f"unknown consent purpose {purpose!r}")
        if current.get(purpose) == granted and not initial:
            continue
        s.add(
            ConsentRecord(
                member_id=member.id,
                purpose=purpose,
                granted=granted,
                at=now,
                channel=channel,
                terms_version=terms_version if purpose == "terms" else None,
            )
        )
        current[purpose] = granted
        changed.append(purpose)
    if "terms" in changed:
        member.consent_terms, member.consent_terms_at = current["terms"], now
    marketing = bool(current.get("marketing_email") or current.get("marketing_sms"))
    if marketing != member.consent_marketing or any(p.startswith("marketing") for p in changed):
        member.consent_marketing, member.consent_marketing_at = marketing, now
    if changed:
        member.updated_at = now
    return changed


def current_consents(s: Session, member_id: str) -> dict[str, bool]:
    """The latest state of each consent purpose (absent: never given)."""
    rows = s.scalars(
        select(ConsentRecord).where(ConsentRecord.member_id == member_id).order_by(ConsentRecord.id)
    )
    return {row.purpose: row.granted for row in rows}


@dataclass(frozen=True)
class ConsentUpdate:
    """What a consent form did: the purposes that changed, and the grants refused (each a
    ``PortalError`` naming its field), which keep their earlier value."""

    changed: list[str]
    refused: list[PortalError] = field(default_factory=list)


def update_consents(
    uow: SqlUnitOfWork,
    member_id: str,
    *,
    marketing_email: bool,
    marketing_sms: bool,
    now: dt.datetime,
) -> ConsentUpdate:
    """Change the marketing consents (the terms are withdrawn by deleting the account).

    Each purpose stands alone: a grant the member cannot receive (SMS without a phone) is
    refused and reported, and the rest of the form (an e-mail withdrawal) is applied; a
    withdrawal is never refused.
    """
    with uow:
        member = uow.session.get_one(Member, member_id)
        wanted = {"marketing_email": marketing_email, "marketing_sms": marketing_sms}
        refused: list[PortalError] = []
        if marketing_email and not member.email:
            refused.append(
                err(
                    "email_missing",
                    "e-mail offers need an e-mail address",
                    "para ofertas por e-mail informe um e-mail",
                    "marketing_email",
                )
            )
            del wanted["marketing_email"]
        if marketing_sms and not member.phone:
            refused.append(
                err(
                    "phone_missing",
                    "SMS offers need a phone number",
                    "para ofertas por SMS informe um telefone",
                    "marketing_sms",
                )
            )
            del wanted["marketing_sms"]
        changed = set_consents(uow.session, member, wanted, now, "portal", None) if wanted else []
        if changed:
            uow.audit("member", member_id, "portal.consents", "member", member_id, changed=changed)
        uow.commit()
        return ConsentUpdate(changed, refused)
