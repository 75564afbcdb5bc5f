"""What the shopper sees of their rewards: balances, statement, offers, vouchers, raffles.

Read-only views over the server's tables, turned into plain dataclasses for the templates
and the data export. Balances come from ``loyalty.rewards.balance`` over the ledger rows, the
same fold the agents use, so the portal and the till agree to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loyalty.rewards import Balances, Currency, EntryKind, LedgerEntry, balance
from loyalty.rewards.notices import Expiring, upcoming_expiries

from ..models import (
    Campaign,
    LedgerEntryRow,
    MemberOffer,
    OfferActivation,
    RaffleCampaign,
    RaffleTicketRow,
    Store,
    TicketStatus,
    Voucher,
)


@dataclass(frozen=True)
class StatementLine:
    entry_id: str
    currency: str
    kind: str
    amount: Decimal
    at: dt.datetime
    available_at: dt.datetime | None
    expires_at: dt.datetime | None
    store: str | None
    rule: str | None
    reason: str | None
    sale_id: str | None


@dataclass(frozen=True)
class OfferView:
    id: str
    title: str
    price: Decimal | None
    requires_activation: bool
    activated_at: dt.datetime | None
    ends_at: dt.datetime | None


@dataclass(frozen=True)
class VoucherView:
    voucher_id: str
    code: str
    name: str
    amount: Decimal | None
    percent: Decimal | None
    min_subtotal: Decimal
    valid_until: dt.datetime
    status: str  # valid | used | expired | void | not_yet


def _entry(row: LedgerEntryRow) -> LedgerEntry:
    return LedgerEntry(
        entry_id=row.entry_id,
        member_id=row.member_id,
        currency=Currency(row.currency),
        kind=EntryKind(row.kind),
        amount=row.amount,
        effective_at=row.effective_at,
        available_at=row.available_at,
        expires_at=row.expires_at,
        sale_id=row.sale_id,
        rule_id=row.rule_id,
        store_id=row.store_id,
        terminal_id=row.terminal_id,
        reverses=row.reverses,
        reason=row.reason,
    )


def ledger_rows(s: Session, member_id: str) -> list[LedgerEntryRow]:
    return list(
        s.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.member_id == member_id)
            .order_by(LedgerEntryRow.effective_at.desc(), LedgerEntryRow.entry_id.desc())
        )
    )


def expiring(rows: list[LedgerEntryRow], at: dt.datetime, days: int) -> list[Expiring]:
    """What expires in the next ``days`` days (the notice window), soonest first."""
    entries = [_entry(r) for r in rows]
    return upcoming_expiries(entries, at, at + dt.timedelta(days=days))


def balances(rows: list[LedgerEntryRow], at: dt.datetime) -> dict[str, Balances]:
    entries = [_entry(r) for r in rows]
    return {c.value: balance([e for e in entries if e.currency is c], c, at) for c in Currency}


def rule_names(s: Session) -> dict[str, str]:
    """Rule id → the name head office gave it (campaign rules and personalised offers)."""
    names: dict[str, str] = {}
    for doc in s.scalars(select(Campaign.document)):
        for rule in (doc or {}).get("rules", []):
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                names[rule["id"]] = str(rule.get("name") or rule["id"])
    return names


def statement(s: Session, rows: list[LedgerEntryRow], member_id: str) -> list[StatementLine]:
    stores = {sid: name for sid, name in s.execute(select(Store.id, Store.name))}
    names = rule_names(s)
    for offer in s.scalars(select(MemberOffer).where(MemberOffer.member_id == member_id)):
        rule_id = offer.rule.get("id") if isinstance(offer.rule, dict) else None
        if isinstance(rule_id, str):
            names[rule_id] = offer.title
    return [
        StatementLine(
            entry_id=r.entry_id,
            currency=r.currency,
            kind=r.kind,
            amount=r.amount,
            at=r.effective_at,
            available_at=r.available_at,
            expires_at=r.expires_at,
            store=stores.get(r.store_id, r.store_id) if r.store_id else None,
            rule=names.get(r.rule_id, r.rule_id) if r.rule_id else None,
            reason=r.reason,
            sale_id=r.sale_id,
        )
        for r in rows
    ]


def offer_price(rule: dict[str, Any]) -> Decimal | None:
    raw = rule.get("price")
    try:
        return Decimal(str(raw)) if raw is not None else None
    except ArithmeticError:
        return None


def _needs_activation(offer: MemberOffer) -> bool:
    # The till's engine reads the rule's own flag; either flag means "ask the shopper first".
    return bool(
        offer.requires_activation
        or (isinstance(offer.rule, dict) and offer.rule.get("requires_activation"))
    )


def offers(s: Session, member_id: str, now: dt.datetime) -> list[OfferView]:
    """The member's live personalised offers, newest first, with their activation."""
    act = OfferActivation
    rows = s.execute(
        select(MemberOffer, act.activated_at)
        .outerjoin(act, act.offer_id == MemberOffer.id)
        .where(
            MemberOffer.member_id == member_id,
            MemberOffer.active.is_(True),
            or_(MemberOffer.starts_at.is_(None), MemberOffer.starts_at <= now),
            or_(MemberOffer.ends_at.is_(None), MemberOffer.ends_at > now),
        )
        .order_by(MemberOffer.created_at.desc(), MemberOffer.id)
    )
    return [
        OfferView(o.id, o.title, offer_price(o.rule), _needs_activation(o), activated, o.ends_at)
        for o, activated in rows
    ]


def voucher_status(v: Voucher, now: dt.datetime) -> str:
    if v.void:
        return "void"
    if v.max_uses is not None and len(v.accepted_sale_ids or []) >= v.max_uses:
        return "used"
    if now >= v.valid_until:
        return "expired"
    if now < v.valid_from:
        return "not_yet"
    return "valid"


def vouchers(s: Session, member_id: str, now: dt.datetime) -> list[VoucherView]:
    rows = s.scalars(
        select(Voucher).where(Voucher.member_id == member_id).order_by(Voucher.valid_until.desc())
    )
    return [
        VoucherView(
            v.voucher_id,
            v.code,
            v.name,
            v.amount,
            v.percent,
            v.min_subtotal,
            v.valid_until,
            voucher_status(v, now),
        )
        for v in rows
    ]


@dataclass(frozen=True)
class RaffleView:
    id: str
    name: str
    authorisation_number: str
    ends_at: dt.datetime
    spend_per_number: Decimal
    numbers: tuple[str, ...]


def raffles(s: Session, member_id: str, now: dt.datetime) -> list[RaffleView]:
    """Active raffle campaigns with the member's numbers ("série-elemento").

    Numbers as printed on the receipt (``82791``, or ``1-82791`` with several series), from
    the tickets the tills sent (:func:`raffle_numbers`); voided ones (refunds) are left out.
    """
    rows = s.scalars(
        select(RaffleCampaign)
        .where(RaffleCampaign.active.is_(True))
        .order_by(RaffleCampaign.ends_at)
    )
    mine = raffle_numbers(s, member_id)
    return [
        RaffleView(
            r.id,
            r.name,
            r.authorisation_number,
            r.ends_at,
            r.spend_per_number,
            tuple(_campaign_format(r, n) for n in mine.get(r.id, ())),
        )
        for r in rows
        if r.ends_at > now or mine.get(r.id)
    ]


def raffle_numbers(s: Session, member_id: str) -> dict[str, list[int]]:
    """Campaign id → the member's issued numbers, in the order the tills gave them out.

    Owed tickets (numbered on the next sync) and voided ones (refunded sales) are not listed.
    """
    rows = s.execute(
        select(RaffleTicketRow.raffle_id, RaffleTicketRow.number)
        .where(
            RaffleTicketRow.member_id == member_id,
            RaffleTicketRow.status == TicketStatus.ISSUED,
            RaffleTicketRow.number.is_not(None),
        )
        .order_by(RaffleTicketRow.raffle_id, RaffleTicketRow.issued_at, RaffleTicketRow.id)
    )
    out: dict[str, list[int]] = {}
    for raffle_id, number in rows:
        if number is not None:  # the query keeps numbered tickets only
            out.setdefault(raffle_id, []).append(int(number))
    return out


def _campaign_format(row: RaffleCampaign, number: int) -> str:
    series_count = int((row.rules or {}).get("series_count", 1))
    series, element = divmod(number, 100_000)
    if series_count == 1:
        return f"{element:05d}"
    return f"{series:0{len(str(series_count - 1))}d}-{element:05d}"


def format_raffle_number(number: int) -> str:
    series, element = divmod(number, 100_000)
    return f"{series:03d}-{element:05d}"
