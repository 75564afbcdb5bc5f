"""LGPD rights: a full export of the member's data (portability) and deletion by anonymisation.

Deletion keeps what the chain must keep (ledger amounts, sales: fiscal and accounting
records) under the member's opaque id and removes what identifies the person: name, CPF
(ciphertext and lookup hash), phone, e-mail, birth date, the sign-in e-mail and password.
Consents are withdrawn (the history stays: proof of what was agreed and when), the cards are
blocked, personalised offers end and unused vouchers are voided. Every changed row gets a new
change number, so agents pick the anonymised member and blocked cards up at their next sync.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import (
    Card,
    CardStatus,
    Member,
    MemberOffer,
    MemberSegment,
    OfferActivation,
    Sale,
    SaleLine,
    Voucher,
)
from ..models.portal import ConsentRecord, PasswordResetToken, PortalAccount, PortalSession
from ..security import CpfCipher
from ..services.uow import SqlUnitOfWork
from . import wallet
from .consents import current_consents, set_consents
from .errors import PortalError
from .passwords import verify_password
from .sessions import revoke_all

EXPORT_FORMAT = 1
ANONYMOUS_NAME = "anonimizado"


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _amount(currency: str, value: Decimal) -> str:
    # Points are whole numbers (as agents sync them); cashback is BRL to the cent.
    return (
        f"{value.quantize(Decimal(1)):f}"
        if currency == "points"
        else f"{value.quantize(Decimal('0.01')):f}"
    )


def export(s: Session, cipher: CpfCipher, member_id: str, now: dt.datetime) -> dict[str, Any]:
    """Everything the server holds about ``member_id``, as JSON-ready data."""
    m = s.get_one(Member, member_id)
    account = s.get(PortalAccount, member_id)
    rows = wallet.ledger_rows(s, member_id)
    sales = list(
        s.scalars(select(Sale).where(Sale.member_id == member_id).order_by(Sale.occurred_at))
    )
    lines: dict[str, list[SaleLine]] = {}
    if sales:
        for line in s.scalars(
            select(SaleLine)
            .where(SaleLine.sale_id.in_([x.sale_id for x in sales]))
            .order_by(SaleLine.sale_id, SaleLine.line_no)
        ):
            lines.setdefault(line.sale_id, []).append(line)
    offer_rows = s.execute(
        select(MemberOffer, OfferActivation)
        .outerjoin(OfferActivation, OfferActivation.offer_id == MemberOffer.id)
        .where(MemberOffer.member_id == member_id)
        .order_by(MemberOffer.created_at)
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "member": {
            "id": m.id,
            "name": m.name,
            "cpf": cipher.decrypt(m.cpf_encrypted, m.id) if m.cpf_encrypted else None,
            "phone": m.phone,
            "email": m.email,
            "birth_date": _iso(m.birth_date),
            "active": m.active,
            "tier": m.tier,
            "enrolled_store_id": m.enrolled_store_id,
            "created_at": _iso(m.created_at),
            "updated_at": _iso(m.updated_at),
        },
        "account": None
        if account is None
        else {
            "login_email": account.login_email,
            "created_at": _iso(account.created_at),
            "claimed_from_till": account.claimed_from_till,
            "password_changed_at": _iso(account.password_changed_at),
            "deleted_at": _iso(account.deleted_at),
        },
        "consents": {
            "current": current_consents(s, member_id),
            "history": [
                {
                    "purpose": c.purpose,
                    "granted": c.granted,
                    "at": _iso(c.at),
                    "channel": c.channel,
                    "terms_version": c.terms_version,
                }
                for c in s.scalars(
                    select(ConsentRecord)
                    .where(ConsentRecord.member_id == member_id)
                    .order_by(ConsentRecord.id)
                )
            ],
        },
        "cards": [
            {
                "number": c.number,
                "status": c.status.value,
                "issued_at": _iso(c.issued_at),
                "replaced_by": c.replaced_by,
            }
            for c in s.scalars(
                select(Card).where(Card.member_id == member_id).order_by(Card.issued_at)
            )
        ],
        "balances": {
            cur: {
                "available": _amount(cur, b.available),
                "pending": _amount(cur, b.pending),
                "expiring_30d": _amount(cur, b.expiring_30d),
            }
            for cur, b in wallet.balances(rows, now).items()
        },
        "ledger": [
            {
                "entry_id": r.entry_id,
                "currency": r.currency,
                "kind": r.kind,
                "amount": _amount(r.currency, r.amount),
                "effective_at": _iso(r.effective_at),
                "available_at": _iso(r.available_at),
                "expires_at": _iso(r.expires_at),
                "sale_id": r.sale_id,
                "rule_id": r.rule_id,
                "store_id": r.store_id,
                "reverses": r.reverses,
                "reason": r.reason,
            }
            for r in reversed(rows)
        ],
        "sales": [
            {
                "sale_id": x.sale_id,
                "store_id": x.store_id,
                "occurred_at": _iso(x.occurred_at),
                "currency": x.currency,
                "subtotal": _dec(x.subtotal),
                "discount_total": _dec(x.discount_total),
                "total": _dec(x.total),
                "lines": [
                    {
                        "line_no": ln.line_no,
                        "sku": ln.sku,
                        "quantity": f"{ln.quantity:f}",
                        "unit_price": _dec(ln.unit_price),
                        "discount": _dec(ln.discount),
                        "net": _dec(ln.net),
                    }
                    for ln in lines.get(x.sale_id, [])
                ],
            }
            for x in sales
        ],
        "vouchers": [
            {
                "voucher_id": v.voucher_id,
                "code": v.code,
                "name": v.name,
                "amount": _dec(v.amount),
                "percent": _dec(v.percent),
                "valid_until": _iso(v.valid_until),
                "status": v.status,
            }
            for v in wallet.vouchers(s, member_id, now)
        ],
        "raffle_numbers": {
            k: [wallet.format_raffle_number(n) for n in v]
            for k, v in wallet.raffle_numbers(s, member_id).items()
        },
        "offers": [
            {
                "id": o.id,
                "title": o.title,
                "rule": o.rule,
                "requires_activation": o.requires_activation,
                "active": o.active,
                "starts_at": _iso(o.starts_at),
                "ends_at": _iso(o.ends_at),
                "activated_at": _iso(a.activated_at) if a else None,
                "activation_channel": a.channel if a else None,
            }
            for o, a in offer_rows
        ],
        "sessions": [
            {
                "created_at": _iso(p.created_at),
                "last_seen_at": _iso(p.last_seen_at),
                "expires_at": _iso(p.expires_at),
                "revoked_at": _iso(p.revoked_at),
            }
            for p in s.scalars(
                select(PortalSession)
                .where(PortalSession.member_id == member_id)
                .order_by(PortalSession.created_at)
            )
        ],
    }


def delete_account(uow: SqlUnitOfWork, member_id: str, password: str, *, now: dt.datetime) -> None:
    """Anonymise the member, block their cards and end every session (see the module docstring).

    :raises PortalError: ``bad_password`` if ``password`` is not the account's.
    """
    with uow:
        s = uow.session
        account = s.get_one(PortalAccount, member_id)
        if account.deleted_at is not None or not verify_password(account.password_hash, password):
            raise PortalError(
                "bad_password", "the password is wrong", "a senha não confere", "password"
            )
        m = s.get_one(Member, member_id)
        set_consents(
            s,
            m,
            {"terms": False, "marketing_email": False, "marketing_sms": False},
            now,
            "deletion",
            None,
        )
        m.name, m.cpf_encrypted, m.cpf_hash = ANONYMOUS_NAME, None, None
        m.phone = m.email = None
        m.birth_date = None
        m.active, m.updated_at = False, now
        for card in s.scalars(select(Card).where(Card.member_id == member_id)):
            if card.status is CardStatus.ACTIVE:
                card.status, card.updated_at = CardStatus.BLOCKED, now
        for offer in s.scalars(
            select(MemberOffer).where(
                MemberOffer.member_id == member_id, MemberOffer.active.is_(True)
            )
        ):
            offer.active = False
        for voucher in s.scalars(
            select(Voucher).where(Voucher.member_id == member_id, Voucher.void.is_(False))
        ):
            if wallet.voucher_status(voucher, now) in ("valid", "not_yet"):
                voucher.void = True
        account.login_email = account.password_hash = None
        account.deleted_at = now
        account.session_version += 1
        revoke_all(s, member_id, now)
        s.execute(delete(PasswordResetToken).where(PasswordResetToken.member_id == member_id))
        # Segments are profiling of a person (LGPD): they go with the rest of the profile.
        s.execute(delete(MemberSegment).where(MemberSegment.member_id == member_id))
        m.tier = m.tier_reviewed_at = None  # so is the tier (the review job skips inactive)
        uow.audit("member", member_id, "portal.delete", "member", member_id)
        uow.commit()
