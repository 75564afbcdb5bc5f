"""Block a member's card, or replace it with a new number (the old one points at the new).

Agents pull both cards' new state at their next sync. Audit rows show only the last four
digits of card numbers. Both are use cases through the unit of work; given ``member_id`` they
refuse (:class:`CardNotFound`) a card of another member, as the member page asks.
"""

from __future__ import annotations

import datetime as dt

from loyalty.identification import IdentificationError

from ..models import Card, CardStatus, Member
from .members import CardNotFound, MemberError
from .uow import SqlUnitOfWork, use_case


@use_case
def block_card(
    uow: SqlUnitOfWork,
    number: str,
    *,
    member_id: str | None = None,
    actor: str,
    now: dt.datetime,
) -> Card:
    session = uow.session
    card = session.get(Card, number)
    if card is None:
        raise MemberError("Unknown card {number}", None, number=number)
    if card.status is not CardStatus.ACTIVE:
        raise MemberError(
            "Card {number} is not active ({status}).", None, number=number, status=card.status.value
        )
    if member_id is not None and card.member_id != member_id:
        raise CardNotFound(number)
    card.status = CardStatus.BLOCKED
    card.updated_at = now
    uow.audit_change(
        actor,
        "card.block",
        "member",
        card.member_id,
        before={"card": mask_card(number), "status": "active"},
        after={"card": mask_card(number), "status": "blocked"},
    )
    return card


@use_case
def replace_card(
    uow: SqlUnitOfWork,
    number: str,
    new_number: str,
    *,
    member_id: str | None = None,
    actor: str,
    now: dt.datetime,
) -> Card:
    """Retire ``number`` (status ``replaced``, pointing at the new one) and issue ``new_number``.

    :raises MemberError: unknown or already replaced card, or a new number that is malformed
        or taken.
    :raises CardNotFound: ``member_id`` given and the card is not that member's.
    """
    from loyalty.identification import parse_card_code128, parse_card_ean

    session = uow.session
    card = session.get(Card, number)
    if member_id is not None and (card is None or card.member_id != member_id):
        raise CardNotFound(number)
    if card is None:
        raise MemberError("Unknown card {number}", None, number=number)
    if card.status is CardStatus.REPLACED:
        raise MemberError("Card {number} was already replaced.", None, number=number)
    owner = session.get(Member, card.member_id)
    if owner is not None and not owner.active:
        raise MemberError(
            "Member {id} deleted their account (LGPD): no new card.", None, id=card.member_id
        )
    new_number = new_number.strip().replace(" ", "")
    valid = False
    for parse in (parse_card_ean, parse_card_code128):
        try:
            parse(new_number)
            valid = True
        except (IdentificationError, ValueError):
            continue
    if not valid:
        raise MemberError(
            "{number} is not a card number of this programme (EAN-13 with the card prefix, or TC…).",  # noqa: E501
            "new_number",
            number=new_number,
        )
    if session.get(Card, new_number) is not None:
        raise MemberError(
            "Card {number} belongs to a member already.", "new_number", number=new_number
        )
    old_status = card.status.value
    card.status = CardStatus.REPLACED
    card.replaced_by = new_number
    card.updated_at = now
    session.flush()
    new = Card(
        number=new_number,
        member_id=card.member_id,
        status=CardStatus.ACTIVE,
        issued_at=now,
        updated_at=now,
    )
    session.add(new)
    uow.audit_change(
        actor,
        "card.replace",
        "member",
        card.member_id,
        before={"card": mask_card(number), "status": old_status},
        after={
            "card": mask_card(number),
            "status": "replaced",
            "replaced_by": mask_card(new_number),
        },
    )
    return new


def mask_card(number: str) -> str:
    """The last four digits only: the audit log never holds a whole card number."""
    return "…" + number[-4:]
