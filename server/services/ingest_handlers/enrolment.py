"""A shopper enrolled at a till: a new member (and card) unless the id, CPF or card is taken.

The CPF is hashed before the transaction (the lookup hash) and stored encrypted; a refusal
names the till's member id only (opaque, no personal data): the till's sales are applied
under it, and head office moves their points to the real member by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.events import MemberEnrolled
from loyalty.identification.code128 import card_code128
from loyalty.identification.ean import card_number

from ...models import Card, Member
from ...models.members import CardStatus
from ..ingest_types import Pending, Reject
from ..tiers import lift_after_ingest
from .base import EventHandler, PushContext, RowContext, Text


def is_card_member_id(member_id: str, card: str) -> bool:
    """Whether ``member_id`` is the member number printed on ``card`` (EAN-13 with a 2- or
    3-digit chain prefix, or Code 128): the id a till gives a shopper it hands that card."""
    if not member_id.isdigit() or len(member_id) > 12 or int(member_id) <= 0:
        return False
    number = int(member_id)
    for make in (
        card_code128,
        lambda n: card_number(n, card[:2]),
        lambda n: card_number(n, card[:3]),
    ):
        try:
            if make(number) == card:
                return True
        except (TypeError, ValueError):  # not this kind of card, or a number it cannot hold
            continue
    return False


@dataclass
class _Taken:
    members: set[str]
    cpfs: set[str]
    cards: set[str]


class MemberEnrolledHandler(EventHandler[MemberEnrolled]):
    event: ClassVar[type] = MemberEnrolled

    def made_ids(self, event: MemberEnrolled) -> tuple[tuple[str, str], ...]:
        """``M:<store>:<terminal>:<seq>``, or the member number of the card handed over."""
        if event.card_number is not None and is_card_member_id(event.member_id, event.card_number):
            return ()
        return (("M", event.member_id),)

    def texts(self, event: MemberEnrolled) -> Iterable[Text]:
        yield "member_id", event.member_id, Member.id
        yield "name", event.name, Member.name
        yield "phone", event.phone, Member.phone
        yield "email", event.email, Member.email
        yield "card_number", event.card_number, Card.number

    def applied(self, s: Session, items: Sequence[Pending], now: dt.datetime) -> set[str]:
        """A member enrolled at a till starts on the tier ladder's first step at once."""
        lift_after_ingest(s, (cast(MemberEnrolled, p.event).member_id for p in items), now)
        return set()

    def prepare(self, items: Sequence[Pending], ctx: PushContext) -> None:
        for p in items:
            cpf = cast(MemberEnrolled, p.event).cpf
            if cpf is not None:
                p.cpf_hash = ctx.cipher.lookup_hash(cpf)

    def preload(self, s: Session, items: Sequence[Pending]) -> _Taken:
        events = [cast(MemberEnrolled, p.event) for p in items]
        taken = _Taken(set(), set(), set())
        if not events:
            return taken
        ids = {e.member_id for e in events}
        taken.members = set(s.scalars(select(Member.id).where(Member.id.in_(ids))))
        hashes = {p.cpf_hash for p in items if p.cpf_hash}
        if hashes:
            found = s.scalars(select(Member.cpf_hash).where(Member.cpf_hash.in_(hashes)))
            taken.cpfs = {h for h in found if h}
        cards = {e.card_number for e in events if e.card_number}
        if cards:
            taken.cards = set(s.scalars(select(Card.number).where(Card.number.in_(cards))))
        return taken

    def check(self, item: Pending, known: _Taken) -> None:
        e = cast(MemberEnrolled, item.event)
        if e.member_id in known.members:
            raise Reject("duplicate_member", f"member id {e.member_id!r} exists already")
        if item.cpf_hash is not None and item.cpf_hash in known.cpfs:
            raise Reject(
                "cpf_already_enrolled",
                f"this CPF belongs to an enrolled member; member id {e.member_id!r} "
                "of this till's enrolment was not created",
            )
        if e.card_number is not None and e.card_number in known.cards:
            raise Reject(
                "card_taken",
                f"this card number belongs to another member; member id "
                f"{e.member_id!r} of this till's enrolment was not created",
            )
        known.members.add(e.member_id)
        if item.cpf_hash:
            known.cpfs.add(item.cpf_hash)
        if e.card_number:
            known.cards.add(e.card_number)

    def rows(self, item: Pending, out: RowContext) -> None:
        e = cast(MemberEnrolled, item.event)
        at, now, who = e.header.occurred_at, out.now, out.who
        out.add(
            "members",
            {
                "id": e.member_id,
                "name": e.name,
                "cpf_encrypted": out.cipher.encrypt(e.cpf, e.member_id) if e.cpf else None,
                "cpf_hash": item.cpf_hash,
                "phone": e.phone,
                "email": e.email,
                "birth_date": e.birth_date,
                "consent_terms": e.consent_terms,
                "consent_terms_at": at,
                "consent_marketing": e.consent_marketing,
                "consent_marketing_at": at if e.consent_marketing else None,
                "active": True,
                "enrolled_store_id": who.store_id,
                "enrolled_terminal_id": who.terminal_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        if e.card_number:
            out.add(
                "cards",
                {
                    "number": e.card_number,
                    "member_id": e.member_id,
                    "status": CardStatus.ACTIVE,
                    "replaced_by": None,
                    "issued_at": at,
                    "updated_at": now,
                },
            )
