"""Members for head office: search and the member page's data.

Search reads what was typed: a valid CPF (with or without punctuation) is looked up by its
keyed hash only, exactly; an e-mail by e-mail; a card number exactly; digits also as a phone;
anything else as part of the name. CPFs are never shown whole (``mask_cpf``). Store managers
see the members enrolled at their stores or with a sale there, and only those stores' sales.
:func:`add_member` is head office's (and the demo's) way to create a member. Adjustments are in
:mod:`.adjustments`, card block/replace in :mod:`.cards`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from loyalty.identification import IdentificationError, mask_cpf
from loyalty.identification.cpf import looks_like_cpf
from loyalty.rewards import Currency, EntryKind, LedgerEntry, balance, ids
from loyalty.rewards.notices import Expiring, upcoming_expiries

from .. import clock
from ..models import (
    Card,
    CardStatus,
    LedgerEntryRow,
    Member,
    MemberSegment,
    Sale,
    SaleAppliedRule,
    Voucher,
)
from ..security import CpfCipher
from . import tier_status
from .raffle import numbers_for_member
from .tiers import first_step
from .uow import SqlUnitOfWork, use_case

SERVER_STORE = ids.SERVER_STORE  # entries head office makes (adjustments) carry this store
WEB_WORKER = "WEB"
_DIGITS = re.compile(r"\D")


class CardNotFound(LookupError):
    """No such card on this member's page (a 404 on the web)."""


class MemberError(ValueError):
    """A member operation refused; ``field`` names the form field, ``message`` is English."""

    def __init__(self, message: str, field: str | None = None, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.field = field
        self.values = values


@dataclass(frozen=True)
class SearchResult:
    members: list[Member]
    total: int
    how: str  # "cpf", "email", "card_or_phone", "name", "none"


def search(
    session: Session,
    cipher: CpfCipher,
    query: str,
    *,
    page: int,
    per_page: int,
    stores: frozenset[str] | None,
) -> SearchResult:
    """Members matching ``query`` (see the module docstring), paged, name order.

    :param stores: the stores a store manager may see (members enrolled there or with a sale
        there); ``None`` for every member.
    """
    q = query.strip()
    if not q:
        return SearchResult([], 0, "none")
    stmt = select(Member)
    how = "name"
    if looks_like_cpf(q):
        try:
            digest = cipher.lookup_hash(q)
        except IdentificationError:
            raise MemberError(
                "{cpf} is not a valid CPF (check digits).", "q", cpf=mask_cpf(q)
            ) from None
        stmt = stmt.where(Member.cpf_hash == digest)
        how = "cpf"
    elif "@" in q:
        stmt = stmt.where(func.lower(Member.email) == q.lower())
        how = "email"
    elif _DIGITS.sub("", q) and len(_DIGITS.sub("", q)) >= 6 and not re.search(r"[A-Za-z]", q):
        digits = _DIGITS.sub("", q)
        on_card = select(Card.member_id).where(Card.number == q.replace(" ", ""))
        stmt = stmt.where(
            or_(Member.id.in_(on_card), _digits_only(Member.phone).contains(digits), Member.id == q)
        )
        how = "card_or_phone"
    else:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Member.name).like(like), Member.id == q))
    if stores is not None:
        stmt = stmt.where(_in_stores(stores))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Member.name, Member.id).offset((page - 1) * per_page).limit(per_page)
    )
    return SearchResult(list(rows), total, how)


def _digits_only(column: Any) -> Any:
    # Phones are stored as typed ("+55 11 98765-4321"): compare their digits.
    for ch in " -().+/":
        column = func.replace(column, ch, "")
    return column


def _in_stores(stores: frozenset[str]) -> Any:
    sold = select(Sale.member_id).where(Sale.store_id.in_(stores), Sale.member_id.is_not(None))
    return or_(Member.enrolled_store_id.in_(stores), Member.id.in_(sold))


def visible_to(session: Session, member_id: str, stores: frozenset[str] | None) -> bool:
    if stores is None:
        return True
    stmt = (
        select(func.count()).select_from(Member).where(Member.id == member_id, _in_stores(stores))
    )
    return bool(session.scalar(stmt))


def to_entry(r: LedgerEntryRow) -> LedgerEntry:
    return LedgerEntry(
        entry_id=r.entry_id,
        member_id=r.member_id,
        currency=Currency(r.currency),
        kind=EntryKind(r.kind),
        amount=r.amount.quantize(Decimal(1)) if r.currency == "points" else r.amount,
        effective_at=r.effective_at,
        available_at=r.available_at,
        expires_at=r.expires_at,
        sale_id=r.sale_id,
        rule_id=r.rule_id,
        store_id=r.store_id,
        terminal_id=r.terminal_id,
        reverses=r.reverses,
        reason=r.reason,
    )


def _entries(session: Session, member_id: str) -> list[LedgerEntry]:
    rows = session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.member_id == member_id)
    ).all()
    return [to_entry(r) for r in rows]


def balances(session: Session, member_id: str, at: dt.datetime) -> dict[str, Any]:
    entries = _entries(session, member_id)
    return {c.value: balance(entries, c, at) for c in Currency}


def expiring(session: Session, member_id: str, at: dt.datetime, days: int) -> list[Expiring]:
    """What expires in the next ``days`` days (the notice window), soonest first."""
    return upcoming_expiries(_entries(session, member_id), at, at + dt.timedelta(days=days))


@dataclass
class MemberPage:
    member: Member
    cpf_masked: str | None
    cards: list[Card]
    balances: dict[str, Any]
    ledger: list[LedgerEntryRow]
    sales: list[dict[str, Any]]
    vouchers: list[Voucher]
    segment: MemberSegment | None
    tier: Any  # server.services.tier_status.MemberTier, or None without a tier ladder
    # server.services.raffle.MemberNumbers per campaign: not personal data, shown in full.
    raffles: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # loyalty.rewards.notices.Expiring within the notice window ("expira em ...").
    expiring: list[Any] = field(default_factory=list)


def member_page(
    session: Session,
    cipher: CpfCipher,
    member_id: str,
    *,
    at: dt.datetime,
    stores: frozenset[str] | None,
    notice_days: int = 30,
) -> MemberPage | None:
    member = session.get(Member, member_id)
    if member is None:
        return None
    cpf = None
    if member.cpf_encrypted is not None:
        try:
            cpf = mask_cpf(cipher.decrypt(member.cpf_encrypted, member.id))
        except ValueError:
            cpf = "***.***.***-**"
    cards = list(
        session.scalars(select(Card).where(Card.member_id == member_id).order_by(Card.issued_at))
    )
    ledger_stmt = select(LedgerEntryRow).where(LedgerEntryRow.member_id == member_id)
    sales_stmt = select(Sale).where(Sale.member_id == member_id)
    if stores is not None:
        ledger_stmt = ledger_stmt.where(
            or_(LedgerEntryRow.store_id.in_(stores), LedgerEntryRow.store_id == SERVER_STORE)
        )
        sales_stmt = sales_stmt.where(Sale.store_id.in_(stores))
    ledger = list(
        session.scalars(
            ledger_stmt.order_by(
                LedgerEntryRow.effective_at.desc(), LedgerEntryRow.entry_id.desc()
            ).limit(200)
        )
    )
    sales = []
    for sale in session.scalars(sales_stmt.order_by(Sale.occurred_at.desc()).limit(50)):
        rules = session.scalars(
            select(SaleAppliedRule)
            .where(SaleAppliedRule.sale_id == sale.sale_id)
            .order_by(SaleAppliedRule.position)
        ).all()
        sales.append({"sale": sale, "rules": list(rules)})
    vouchers = list(
        session.scalars(
            select(Voucher)
            .where(Voucher.member_id == member_id)
            .order_by(Voucher.created_at.desc())
        )
    )
    return MemberPage(
        member=member,
        cpf_masked=cpf,
        cards=cards,
        balances=balances(session, member_id, at),
        ledger=ledger,
        sales=sales,
        vouchers=vouchers,
        segment=session.get(MemberSegment, member_id),
        tier=tier_status.status(session, member_id, at),
        raffles=numbers_for_member(session, member_id),
        expiring=expiring(session, member_id, at, notice_days),
    )


@use_case
def add_member(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    member_id: str,
    name: str,
    *,
    cpf: str | None = None,
    card_number: str | None = None,
    birth_date: dt.date | None = None,
    consent_marketing: bool = False,
    actor: str = "cli",
) -> None:
    """A new member (terms accepted now), on the tier ladder's first step, with its card."""
    now = clock.now()
    uow.session.add(
        Member(
            id=member_id,
            name=name,
            cpf_encrypted=cipher.encrypt(cpf, member_id) if cpf else None,
            cpf_hash=cipher.lookup_hash(cpf) if cpf else None,
            birth_date=birth_date,
            consent_terms=True,
            consent_terms_at=now,
            consent_marketing=consent_marketing,
            consent_marketing_at=now if consent_marketing else None,
            active=True,
            created_at=now,
            updated_at=now,
            tier=first_step(uow.session),
        )
    )
    if card_number:
        uow.session.flush()
        uow.session.add(
            Card(
                number=card_number,
                member_id=member_id,
                status=CardStatus.ACTIVE,
                issued_at=now,
                updated_at=now,
            )
        )
    uow.audit("admin", actor, "member.add", "member", member_id)
