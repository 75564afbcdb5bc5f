"""Who is this shopper? A scan or a typed CPF, checked offline, looked up in the cache, then
among the shoppers enrolled at this till whose record the cache does not hold yet."""

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
from loyalty.identification.errors import IdentificationError, Reason

from ..cache import CachedMember, CacheLookups
from ..journal import LocalMember, LocalMembers
from ..sync.clock_check import read_skew
from .errors import MemberNotFound
from .state import SaleSettings
from .wording import card_status


def _identify(
    raw: str, settings: SaleSettings, lookups: CacheLookups, now: datetime
) -> Identification:
    """``identify``, but a phone QR refused as expired at a till whose clock the last sync
    found ahead of the server's (by more than the QR tolerance) says to check the till's clock:
    telling the cashier to refresh a card that is fine sends the shopper away for nothing."""
    try:
        return identify(raw, settings.identification, now)
    except IdentificationError as exc:
        if exc.reason is not Reason.QR_EXPIRED:
            raise
        measured = read_skew(lookups.conn)
        tolerance = settings.identification.qr_skew.total_seconds()
        if measured is not None and measured[0] > tolerance:
            raise IdentificationError(Reason.QR_TILL_CLOCK_AHEAD, raw) from None
        raise


def find_member(
    raw: str | Identification,
    settings: SaleSettings,
    lookups: CacheLookups,
    now: datetime,
    local: LocalMembers | None = None,
) -> tuple[CachedMember, str | None]:
    """The member ``raw`` names, and the card read (if it was a card).

    ``raw`` is what the POS passed, or a read the agent's own scanner already identified.
    The cache answers first; ``local`` (the journal's members) then knows the shoppers
    enrolled at this till (by card, CPF hash or id) until the cache holds the server's copy.

    :raises IdentificationError: garbage, a wrong check digit, a forged or expired QR.
    :raises MemberNotFound: a valid code of no member here, a blocked card, an inactive member.
    """
    read = _identify(raw, settings, lookups, now) if isinstance(raw, str) else raw
    card: str | None = None
    if isinstance(read, CardRead):
        member = lookups.member_by_card(read.code)
        number = read.code
        if member is None and read.symbology == "code128":
            # A Code 128 card may be filed under the member's EAN-13 number.
            number = card_number(read.member_number, settings.identification.card_prefix)
            member = lookups.member_by_card(number)
        if member is None and local is not None:
            found = local.by_card(read.code)
            if found is None and number != read.code:
                found = local.by_card(number)
            member = _local(lookups, found)
        card = read.code
        if member is not None and member.card_status not in (None, "active"):
            en, pt = card_status(member.card_status)
            raise MemberNotFound(
                f"card ending {read.code[-4:]} is {en}: ask for another",
                f"cartão final {read.code[-4:]} está {pt}: peça outro",
            )
    elif isinstance(read, CpfRead):
        if settings.cpf_secret is None:
            raise MemberNotFound(
                "CPF lookup is not configured at this till (identification.cpf_hash_secret_file)",
                "busca por CPF não configurada neste caixa",
            )
        digest = cpf_hash(read.cpf, settings.cpf_secret)
        member = lookups.member_by_cpf_hash(digest)
        if member is None and local is not None:
            member = _local(lookups, *local.by_cpf_hash(digest))
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
        if member is None and local is not None:
            member = _local(
                lookups,
                (local.by_card(number) if number else None) or local.by_id(str(read.member_id)),
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


def as_cached(m: LocalMember) -> CachedMember:
    """A shopper enrolled here, as the sale flow sees a member (no segments, no tier yet).

    :raises MemberNotFound: head office refused the enrolment (e.g. the CPF belongs to a member
        enrolled elsewhere meanwhile): the till stops earning for a record the server lacks.
    """
    if m.rejected is not None:
        reason = m.rejected.split(":", 1)[0]
        raise MemberNotFound(
            f"head office refused the enrolment of member {m.member_id} ({reason}): identify "
            "the shopper by their other card or CPF, or ask head office",
            f"a central recusou o cadastro do cliente {m.member_id} ({reason}): identifique o "
            "cliente pelo outro cartão ou CPF, ou fale com a central",
        )
    return CachedMember(m.member_id, m.name, True, "active" if m.card_hash else None)


def live(lookups: CacheLookups, *found: LocalMember | None) -> LocalMember | None:
    """The first of ``found`` whose server copy the cache lacks yet, else ``None``: once
    synced, the cache alone answers (a card replaced, a CPF erased by an account deletion, a
    member made inactive must not be found through the till's own older record)."""
    for m in found:
        if m is not None and lookups.member_by_id(m.member_id) is None:
            return m
    return None


def _local(lookups: CacheLookups, *found: LocalMember | None) -> CachedMember | None:
    m = live(lookups, *found)
    return None if m is None else as_cached(m)
