"""Enrolment at the till: a shopper joins the club at payment, offline too, and earns at once.

"CPF na nota? Quer entrar no clube?": the cashier types a name, optionally the CPF and a
pre-printed card handed over, and the shopper's consent to the club's terms (LGPD). One
journal transaction writes the ``enrolment`` outbox event (the only place the clear CPF is
kept, for the server to encrypt) and a ``local_members`` row (the CPF's keyed hash only), so
this till identifies the new member by card, CPF or id before any sync. The server creates the
member when the event arrives, before the sales that name it (same outbox, pushed in order).

Member id: the member number of the card handed over (as the member portal makes its
members' ids, and as the phone QR carries it), else ``M:<store>:<terminal>:<seq>`` from the
terminal's own ``member`` counter, so two tills never mint the same id.

Nothing here writes: :func:`prepare` returns the answer and the ``Write``; the service records
it. A refusal changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from loyalty.bounds import TEXT_LENGTHS
from loyalty.events import EventHeader, MemberEnrolled
from loyalty.identification import (
    CardRead,
    card_number,
    cpf_hash,
    identify,
    mask_cpf,
    normalize_cpf,
)
from loyalty.rewards.ids import make_event_id, make_member_id

from ..cache import CachedMember, CacheLookups
from ..journal import Counters, LocalMember, LocalMemberRow, LocalMembers, OutboxRow, Write
from .errors import BadRequest, EnrolmentRefused, MemberNotFound
from .lookup import as_cached, live
from .state import SaleSettings

FIELDS = frozenset(
    {
        "name",
        "cpf",
        "phone",
        "email",
        "birth_date",
        "consent_terms",
        "consent_marketing",
        "card_number",
    }
)
# The server's column sizes (members.name, phone, email; cards.number): never send more.
# the server's column lengths (loyalty.bounds.TEXT_LENGTHS, pinned to its models by a test)
MAX_NAME, MAX_PHONE, MAX_EMAIL = (TEXT_LENGTHS[k] for k in ("member_name", "phone", "email"))
_PHONE = re.compile(r"^\+?[0-9 ().-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Applicant:
    """An enrolment request, checked: what the ``enrolment`` event carries."""

    name: str
    cpf: str | None  # 11 digits
    phone: str | None
    email: str | None
    birth_date: date | None
    consent_marketing: bool
    card: str | None  # the card handed over, as its EAN-13 number with the chain's prefix
    member_number: int | None  # the card's member number
    card_code: str | None  # the card as read (a Code 128 card differs from ``card``)


@dataclass(frozen=True)
class Prepared:
    """What an enrolment gives: the answer's enrolment part, the member, and the rows to write
    (``None``: a retry of an enrolment already recorded on this POS sale)."""

    answer: dict[str, Any]
    member: CachedMember
    card: str | None
    write: Write | None


def prepare(
    settings: SaleSettings,
    lookups: CacheLookups,
    members: LocalMembers,
    counters: Counters,
    now: datetime,
    pos_id: str,
    data: Mapping[str, Any],
) -> Prepared:
    """Check ``data`` and build the enrolment of a shopper on POS sale ``pos_id``.

    A retry (same ``pos_id``, same CPF or card; with neither, the same name) gets the first
    enrolment back, with no new write.

    :raises BadRequest: a missing or mistyped field (the message never echoes a CPF or card).
    :raises IdentificationError: a CPF with wrong check digits, a card with a wrong check digit
        or another chain's prefix.
    :raises EnrolmentRefused: no consent to the terms, a CPF or card already known here, or a
        CPF the till cannot check (no CPF hash secret configured).
    """
    check_pos_id(pos_id)
    who = parse(data, settings, now)
    digest = _cpf_digest(who.cpf, settings)
    retry = _retry(members.of_sale(pos_id), who, digest)
    if retry is not None:
        synced = lookups.member_by_id(retry.member_id)
        if synced is not None and not synced.active:
            raise MemberNotFound(
                f"member {retry.member_id} is not active", f"cliente {retry.member_id} inativo"
            )
        return Prepared(retry.answer, synced or as_cached(retry), retry.card_number, None)
    _check_new(who, digest, lookups, members)
    if who.member_number is not None:
        member_id = str(who.member_number)
    else:
        member_id = make_member_id(settings.store_id, settings.terminal_id, counters.take("member"))
    header = EventHeader(
        make_event_id(settings.store_id, settings.terminal_id, counters.take("event")),
        settings.store_id,
        settings.terminal_id,
        now,
    )
    event = MemberEnrolled(
        header,
        member_id=member_id,
        name=who.name,
        consent_terms=True,
        consent_marketing=who.consent_marketing,
        cpf=who.cpf,
        phone=who.phone,
        email=who.email,
        birth_date=who.birth_date,
        card_number=who.card,
    )
    answer = {
        "status": "enrolled",
        "member_id": member_id,
        "cpf": None if who.cpf is None else mask_cpf(who.cpf),
        "consent_marketing": who.consent_marketing,
    }
    write = Write(
        events=[OutboxRow(header.event_id, event.TYPE, orjson.dumps(event.to_dict()))],
        member=LocalMemberRow(
            member_id=member_id,
            name=who.name,
            cpf_hash=digest,
            card_number=who.card,
            created_at=now.isoformat(),
            pos_id=pos_id,
            answer=answer,
            event_id=header.event_id,
        ),
    )
    member = CachedMember(member_id, who.name, True, "active" if who.card else None)
    return Prepared(answer, member, who.card, write)


def check_pos_id(pos_id: object) -> str:
    if not isinstance(pos_id, str) or not pos_id.strip() or len(pos_id) > 100:
        raise BadRequest(
            f"POS sale id must be 1-100 characters: {pos_id!r}",
            f"id da venda no PDV deve ter 1-100 caracteres: {pos_id!r}",
        )
    return pos_id


def parse(data: Mapping[str, Any], settings: SaleSettings, now: datetime) -> Applicant:
    """The checked request (see :func:`prepare` for what it raises)."""
    if not isinstance(data, Mapping):
        raise BadRequest("an enrolment must be a JSON object", "o cadastro deve ser um objeto JSON")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise BadRequest(
            f"unknown enrolment field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}",
            f"campo(s) de cadastro desconhecido(s) {', '.join(unknown)}",
        )
    consent = data.get("consent_terms")
    if consent is not True:
        if consent not in (None, False):
            raise _bad("consent_terms", "true or false", "verdadeiro ou falso")
        raise EnrolmentRefused(
            "consent_required",
            "the shopper must accept the club's terms to join (consent_terms: true, LGPD)",
            "o cliente precisa aceitar o regulamento do clube para entrar (consent_terms, LGPD)",
        )
    marketing = data.get("consent_marketing", False)
    if not isinstance(marketing, bool):
        raise _bad("consent_marketing", "true or false", "verdadeiro ou falso")
    name = _text(data, "name", MAX_NAME)
    if name is None or not any(c.isalpha() for c in name):
        raise _bad("name", "the shopper's name", "o nome do cliente")
    cpf = _text(data, "cpf", 14, echo=False)
    phone = _text(data, "phone", MAX_PHONE)
    if phone is not None and not (
        _PHONE.match(phone) and 8 <= sum(c.isdigit() for c in phone) <= 15
    ):
        raise _bad("phone", "a phone number such as (11) 91234-5678", "um telefone")
    email = _text(data, "email", MAX_EMAIL)
    if email is not None and not _EMAIL.match(email):
        raise _bad("email", "an e-mail address", "um e-mail")
    born = _birth_date(data.get("birth_date"), now)
    read = _card(_text(data, "card_number", 40, echo=False), settings, now)
    return Applicant(
        name=name,
        cpf=None if cpf is None else normalize_cpf(cpf),
        phone=phone,
        email=email,
        birth_date=born,
        consent_marketing=marketing,
        card=None if read is None else read[0],
        member_number=None if read is None else read[1],
        card_code=None if read is None else read[2],
    )


def _text(data: Mapping[str, Any], key: str, limit: int, *, echo: bool = True) -> str | None:
    """A stripped string, whitespace collapsed; ``None`` when absent, null or blank."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(key, "a string", "um texto", value if echo else None)
    text = " ".join(value.split())
    if len(text) > limit:
        raise _bad(key, f"at most {limit} characters", f"no máximo {limit} caracteres")
    return text or None


def _birth_date(value: object, now: datetime) -> date | None:
    if value is None or value == "":
        return None
    try:
        born = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= now.date():
        raise _bad("birth_date", "a past date as YYYY-MM-DD", "uma data passada AAAA-MM-DD", value)
    return born


def _card(code: str | None, settings: SaleSettings, now: datetime) -> tuple[str, int, str] | None:
    """The handed-over card as its EAN-13 number with the chain's prefix, its member number
    and the code as read."""
    if code is None:
        return None
    read = identify(code, settings.identification, now)  # wrong check digit, a product, …
    try:
        if not isinstance(read, CardRead) or read.symbology == "legacy":
            raise ValueError(read.kind)  # an old programme's card is imported, not handed out
        number = card_number(read.member_number, settings.identification.card_prefix)
        return number, read.member_number, read.code
    except ValueError:
        raise EnrolmentRefused(
            "not_a_card",
            "card_number must be a club card of this chain (scan the card handed over)",
            "card_number deve ser um cartão do clube desta rede (passe o cartão entregue)",
        ) from None


def _cpf_digest(cpf: str | None, settings: SaleSettings) -> str | None:
    if cpf is None:
        return None
    if settings.cpf_secret is None:
        # Without the chain's secret the till cannot tell whether this CPF is a member already
        # (the server would refuse a second one and the sale's points would reach nobody).
        raise EnrolmentRefused(
            "cpf_check_unavailable",
            "this till cannot check CPFs (identification.cpf_hash_secret_file is not set): "
            "enrol without the CPF, or at another till",
            "este caixa não confere CPF (falta identification.cpf_hash_secret_file): "
            "cadastre sem CPF ou em outro caixa",
        )
    return cpf_hash(cpf, settings.cpf_secret)


def _retry(earlier: list[LocalMember], who: Applicant, digest: str | None) -> LocalMember | None:
    """The enrolment on this POS sale the request repeats: same CPF, or same card, or (with
    neither) the same name."""
    for m in earlier:
        if digest is not None and m.cpf_hash == digest:
            return m
        if who.card is not None and m.card_number == who.card:
            return m
        if (
            digest is None
            and who.card is None
            and m.cpf_hash is None
            and m.card_number is None
            and m.name.casefold() == who.name.casefold()
        ):
            return m
    return None


def _check_new(
    who: Applicant, digest: str | None, lookups: CacheLookups, members: LocalMembers
) -> None:
    # The till's own enrolments count until the cache holds the server's copy (which then
    # answers alone: an account deleted since frees its CPF).
    if digest is not None and (
        lookups.member_by_cpf_hash(digest) is not None
        or live(lookups, *members.by_cpf_hash(digest)) is not None
    ):
        assert who.cpf is not None
        shown = mask_cpf(who.cpf)
        raise EnrolmentRefused(
            "already_member",
            f"CPF {shown} is already a member: identify the shopper instead of enrolling",
            f"CPF {shown} já é do clube: identifique o cliente em vez de cadastrar",
        )
    if who.card is not None and who.member_number is not None and who.card_code is not None:
        taken = (
            lookups.member_by_card(who.card) is not None
            or lookups.member_by_card(who.card_code) is not None
            or lookups.member_by_id(str(who.member_number)) is not None
            or live(lookups, members.by_card(who.card)) is not None
            or members.by_id(str(who.member_number)) is not None
        )
        if taken:
            raise EnrolmentRefused(
                "card_taken",
                f"card ending {who.card[-4:]} already belongs to a member: identify with it, "
                "or hand over another card",
                f"cartão final {who.card[-4:]} já é de um cliente: identifique com ele ou "
                "entregue outro cartão",
            )


def _bad(key: str, want_en: str, want_pt: str, value: object = None) -> BadRequest:
    shown = "" if value is None else f", got {str(value)[:40]!r}"
    return BadRequest(
        f"enrolment field {key!r} must be {want_en}{shown}",
        f"campo de cadastro {key!r} deve ser {want_pt}",
    )
