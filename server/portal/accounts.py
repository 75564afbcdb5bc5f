"""Joining, claiming a till enrolment, signing in and out, and changing the password.

Each function takes a unit of work (``with uow:`` rolls back unless committed) and the CPF
cipher; the views only turn forms into these calls.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loyalty.identification import IdentificationError, parse_card_ean

from ..models import Card, CardStatus, Member
from ..models.portal import PortalAccount
from ..security import CpfCipher
from ..services.tiers import first_step
from ..services.uow import SqlUnitOfWork, use_case
from .cards import member_number, next_card_number
from .consents import backfill_till_consents, set_consents
from .fields import clean_cpf, clean_email, clean_phone, err, parse_birth_date
from .passwords import check_new_password, hash_password, needs_rehash, verify_password
from .sessions import open_session, revoke, revoke_all


@dataclass(frozen=True)
class CardPlan:
    prefix: str
    base: int


@dataclass(frozen=True)
class SignUp:
    cpf: str
    name: str
    email: str | None
    phone: str | None
    birth_date: str
    password: str
    password_confirm: str
    consent_terms: bool
    consent_email: bool
    consent_sms: bool
    card_number: str | None = None  # proves a claim of a till enrolment that has a card


@dataclass(frozen=True)
class Joined:
    member_id: str
    session_id: str
    claimed: bool


def _check_sign_up(
    data: SignUp, today: dt.date
) -> tuple[str, str, str | None, str | None, dt.date]:
    cpf = clean_cpf(data.cpf)
    name = " ".join(data.name.split())
    if not 2 <= len(name) <= 200:
        raise err(
            "name_invalid",
            "please give your name (2 to 200 characters)",
            "informe seu nome (2 a 200 caracteres)",
            "name",
        )
    email, phone = clean_email(data.email), clean_phone(data.phone)
    if email is None and phone is None:
        raise err(
            "contact_missing",
            "give an e-mail or a phone number",
            "informe um e-mail ou um telefone",
            "email",
        )
    born = parse_birth_date(data.birth_date, today)
    if not data.consent_terms:
        raise err(
            "terms_required",
            "joining needs your agreement to the programme terms",
            "para participar é preciso aceitar o regulamento do programa",
            "consent_terms",
        )
    if data.consent_email and email is None:
        raise err(
            "email_missing",
            "e-mail offers need an e-mail address",
            "para ofertas por e-mail informe um e-mail",
            "email",
        )
    if data.consent_sms and phone is None:
        raise err(
            "phone_missing",
            "SMS offers need a phone number",
            "para ofertas por SMS informe um telefone",
            "phone",
        )
    check_new_password(data.password, data.password_confirm, avoid=(cpf, email, phone))
    return cpf, name, email, phone, born


def sign_up(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    data: SignUp,
    *,
    now: dt.datetime,
    cards: CardPlan,
    terms_version: str,
    session_hours: int,
    attempts: int = 3,
) -> Joined:
    """Join the programme online, or claim the member a till enrolled with this CPF.

    A claim must prove the record is the shopper's: the number of the card they were given, or
    else the birth date the till recorded. A till record with neither is claimed on the CPF.

    :raises PortalError: bad input, a CPF or e-mail that already has an account, a failed claim.
    """
    cpf, name, email, phone, born = _check_sign_up(data, now.date())
    password_hash = hash_password(data.password)
    for attempt in range(attempts):
        try:
            return _sign_up_once(
                uow,
                cipher,
                data,
                cpf,
                name,
                email,
                phone,
                born,
                password_hash,
                now,
                cards,
                terms_version,
                session_hours,
            )
        except IntegrityError:
            # A concurrent sign-up took the same card number, CPF or e-mail: re-check from scratch.
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _sign_up_once(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    data: SignUp,
    cpf: str,
    name: str,
    email: str | None,
    phone: str | None,
    born: dt.date,
    password_hash: str,
    now: dt.datetime,
    cards: CardPlan,
    terms_version: str,
    session_hours: int,
) -> Joined:
    with uow:
        s = uow.session
        if email is not None and s.scalar(
            select(PortalAccount.member_id).where(PortalAccount.login_email == email)
        ):
            raise err(
                "email_taken",
                "this e-mail already has an account: sign in or reset the password",
                "este e-mail já tem conta: entre ou redefina a senha",
                "email",
            )
        member = s.scalar(select(Member).where(Member.cpf_hash == cipher.lookup_hash(cpf)))
        claimed = member is not None
        new_card: str | None = None
        if member is not None:
            if s.get(PortalAccount, member.id) is not None:
                raise err(
                    "cpf_taken",
                    "this CPF already has an account: sign in or reset the password",
                    "este CPF já tem conta: entre ou redefina a senha",
                    "cpf",
                )
            _prove_claim(s, member, data, born)
            backfill_till_consents(s, member)
            member.name, member.updated_at = name, now
            member.email = email or member.email
            member.phone = phone or member.phone
            member.birth_date = born
        else:
            # A new member's id is the member number of the card issued below, the integer the
            # phone QR carries: a till maps a QR to the member by id or by card alike.
            new_card = next_card_number(s, cards.prefix, cards.base)
            member_id = str(parse_card_ean(new_card, cards.prefix))
            member = Member(
                id=member_id,
                name=name,
                cpf_encrypted=cipher.encrypt(cpf, member_id),
                cpf_hash=cipher.lookup_hash(cpf),
                phone=phone,
                email=email,
                birth_date=born,
                consent_terms=False,
                consent_marketing=False,
                active=True,
                created_at=now,
                updated_at=now,
                tier=first_step(s),  # new members start on the ladder's first step
            )
            s.add(member)
            s.flush()
        set_consents(
            s,
            member,
            {
                "terms": True,
                "marketing_email": data.consent_email,
                "marketing_sms": data.consent_sms,
            },
            now,
            "portal",
            terms_version,
            initial=True,
        )
        if member_number(s, member.id, cards.prefix) is None:
            s.add(
                Card(
                    number=new_card or next_card_number(s, cards.prefix, cards.base),
                    member_id=member.id,
                    status=CardStatus.ACTIVE,
                    issued_at=now,
                    updated_at=now,
                )
            )
        account = PortalAccount(
            member_id=member.id,
            login_email=email,
            password_hash=password_hash,
            session_version=1,
            claimed_from_till=claimed,
            created_at=now,
            password_changed_at=now,
            deleted_at=None,
        )
        s.add(account)
        s.flush()
        sid = open_session(s, account, now, session_hours)
        uow.audit(
            "member", member.id, "portal.claim" if claimed else "portal.join", "member", member.id
        )
        uow.commit()
        return Joined(member.id, sid, claimed)


def _prove_claim(s: Session, member: Member, data: SignUp, born: dt.date) -> None:
    numbers = set(
        s.scalars(
            select(Card.number).where(Card.member_id == member.id, Card.status == CardStatus.ACTIVE)
        )
    )
    given = re.sub(r"\D", "", data.card_number or "")
    if numbers:
        if given not in numbers:
            raise err(
                "claim_card",
                "this CPF joined at a store: type the number printed on your card to claim it",
                "este CPF foi cadastrado numa loja: digite o número impresso no seu cartão",
                "card_number",
            )
    elif member.birth_date is not None and member.birth_date != born:
        raise err(
            "claim_birth_date",
            "the birth date differs from the one given at the store",
            "a data de nascimento é diferente da informada na loja",
            "birth_date",
        )


def _find_account(s: Session, cipher: CpfCipher, identifier: str) -> PortalAccount | None:
    text = identifier.strip()
    if "@" in text:
        return s.scalar(select(PortalAccount).where(PortalAccount.login_email == text.lower()))
    try:
        digest = cipher.lookup_hash(text)
    except IdentificationError:
        return None
    member_id = s.scalar(select(Member.id).where(Member.cpf_hash == digest))
    return None if member_id is None else s.get(PortalAccount, member_id)


def sign_in(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    identifier: str,
    password: str,
    *,
    now: dt.datetime,
    session_hours: int,
) -> str:
    """Check a CPF or e-mail and password; returns a new session id.

    :raises PortalError: ``bad_credentials`` for any mismatch (never which part was wrong).
    """
    with uow:
        account = _find_account(uow.session, cipher, identifier)
        stored = (
            account.password_hash if account is not None and account.deleted_at is None else None
        )
        if not verify_password(stored, password) or account is None or stored is None:
            raise err(
                "bad_credentials",
                "CPF/e-mail or password not recognised",
                "CPF/e-mail ou senha não conferem",
            )
        if needs_rehash(stored):
            account.password_hash = hash_password(password)
        sid = open_session(uow.session, account, now, session_hours)
        uow.commit()
        return sid


@use_case
def sign_out(uow: SqlUnitOfWork, sid: str, *, now: dt.datetime) -> None:
    """End the session ``sid`` (unknown or already ended: nothing to do)."""
    revoke(uow.session, sid, now)


def set_password(
    uow: SqlUnitOfWork, member_id: str, password: str, *, now: dt.datetime
) -> PortalAccount:
    """Store a new password hash and end every session (callers open a fresh one if wanted)."""
    account = uow.session.get_one(PortalAccount, member_id)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    account.session_version += 1
    revoke_all(uow.session, member_id, now)
    return account


def change_password(
    uow: SqlUnitOfWork,
    member_id: str,
    current: str,
    new: str,
    confirm: str,
    *,
    now: dt.datetime,
    session_hours: int,
) -> str:
    """Change the password knowing the current one; other devices are signed out.

    :returns: a new session id for this browser.
    :raises PortalError: wrong current password or an unacceptable new one.
    """
    with uow:
        account = uow.session.get_one(PortalAccount, member_id)
        if not verify_password(account.password_hash, current):
            raise err(
                "bad_password",
                "the current password is wrong",
                "a senha atual não confere",
                "current",
            )
        member = uow.session.get_one(Member, member_id)
        check_new_password(new, confirm, avoid=(account.login_email, member.phone))
        account = set_password(uow, member_id, new, now=now)
        sid = open_session(uow.session, account, now, session_hours)
        uow.audit("member", member_id, "portal.password", "member", member_id)
        uow.commit()
        return sid
