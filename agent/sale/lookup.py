"""Who is this shopper? A scan or a typed CPF, checked offline, looked up in the cache."""

from __future__ import annotations

from datetime import datetime

from loyalty.identification import (
    CardRead,
    CpfRead,
    Identification,
    card_number,
    cpf_hash,
    identify,
)

from ..cache import CachedMember, CacheLookups
from .errors import MemberNotFound
from .state import SaleSettings


def find_member(
    raw: str | Identification, settings: SaleSettings, lookups: CacheLookups, now: datetime
) -> tuple[CachedMember, str | None]:
    """The member ``raw`` names, and the card read (if it was a card).

    ``raw`` is what the POS passed, or a read the agent's own scanner already identified.

    :raises IdentificationError: garbage, a wrong check digit, a forged or expired QR.
    :raises MemberNotFound: a valid code of no member here, a blocked card, an inactive member.
    """
    read = identify(raw, settings.identification, now) if isinstance(raw, str) else raw
    card: str | None = None
    if isinstance(read, CardRead):
        member = lookups.member_by_card(read.code)
        if member is None and read.symbology != "ean13":
            # A Code 128 card may be filed under the member's EAN-13 number.
            number = card_number(read.member_number, settings.identification.card_prefix)
            member = lookups.member_by_card(number)
        card = read.code
        if member is not None and member.card_status not in (None, "active"):
            raise MemberNotFound(
                f"card ending {read.code[-4:]} is {member.card_status}: ask for another",
                f"cartão final {read.code[-4:]} está {member.card_status}: peça outro",
            )
    elif isinstance(read, CpfRead):
        if settings.cpf_secret is None:
            raise MemberNotFound(
                "CPF lookup is not configured at this till (identification.cpf_hash_secret_file)",
                "busca por CPF não configurada neste caixa",
            )
        member = lookups.member_by_cpf_hash(cpf_hash(read.cpf, settings.cpf_secret))
    else:
        # The phone QR carries the member number printed on the member's EAN-13 card (the
        # portal mints it so); members made online also have that number as their id.
        try:
            number = card_number(read.member_id, settings.identification.card_prefix)
        except ValueError:  # too long for a printed card: only an id can match
            number = None
        member = (lookups.member_by_card(number) if number else None) or lookups.member_by_id(
            str(read.member_id)
        )
    if member is None:
        raise MemberNotFound(
            f"no member with this {read.kind} (not enrolled, or not yet synced to this till)",
            f"nenhum cliente com este {read.kind} (não cadastrado ou ainda não sincronizado)",
        )
    if not member.active:
        raise MemberNotFound(
            f"member {member.member_id} is not active", f"cliente {member.member_id} inativo"
        )
    return member, card
