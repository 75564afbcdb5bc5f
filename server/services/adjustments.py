"""Manual adjustments of a member's points or cashback, with a mandatory reason.

An adjustment is a ledger entry of kind ``adjust`` built with the rewards core's
``LedgerEntry`` (its checks: whole points, whole cents, non-zero) and written to the same
``ledger_entries`` table the sync push fills, stamped with a change number so the member's
agents pull it. Its id is made here, at the server: ``E:HQ:WEB:<12-digit sequence>`` (store
``HQ``, terminal ``WEB``; the counter row in ``admin_id_counters`` is taken under a row lock in
the adjustment's own transaction, so two workers never mint the same id). A removal may not
take the available balance below zero. The audit row carries the balance before and after.
:func:`adjust` is the use case (one transaction); :func:`record_adjustment` adds one in the
caller's unit of work.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loyalty.rewards import Currency, EntryKind, LedgerEntry, make_entry_id
from loyalty.rewards.errors import InvalidEntry

from ..models import AdminIdCounter, LedgerEntryRow, Member
from .members import SERVER_STORE, WEB_WORKER, MemberError, balances
from .uow import SqlUnitOfWork, use_case


def next_entry_id(session: Session) -> str:
    """A new server-made entry id ``E:HQ:WEB:<seq>``; the counter row stays locked until commit."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = AdminIdCounter.__table__
    session.execute(
        module.insert(table).values(worker=WEB_WORKER, next_seq=1).on_conflict_do_nothing()
    )
    seq = session.execute(
        update(AdminIdCounter)
        .where(AdminIdCounter.worker == WEB_WORKER)
        .values(next_seq=AdminIdCounter.next_seq + 1)
        .returning(AdminIdCounter.next_seq)
    ).scalar_one()
    return make_entry_id(SERVER_STORE, WEB_WORKER, seq - 1)


def parse_adjustment(currency: str, amount_text: str) -> tuple[Currency, Decimal]:
    """:raises MemberError: on the ``amount`` field for text that is not a whole number of
    points or an amount in cents (``-12,50`` and ``-12.50`` both work)."""
    try:
        cur = Currency(currency)
    except ValueError:
        raise MemberError("Choose points or cashback.", "currency") from None
    text = amount_text.strip().replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MemberError("Not a number: {value}", "amount", value=amount_text) from None
    if not amount.is_finite() or amount == 0:
        raise MemberError(
            "The amount must be a number other than zero, got {value}", "amount", value=amount_text
        )
    if cur is Currency.POINTS and amount != amount.to_integral_value():
        raise MemberError("Points are whole numbers, got {value}", "amount", value=amount_text)
    if cur is Currency.CASHBACK and amount != amount.quantize(Decimal("0.01")):
        raise MemberError(
            "Cashback has at most 2 decimals, got {value}", "amount", value=amount_text
        )
    if abs(amount) > Decimal(1_000_000):
        raise MemberError("The amount is too large: {value}", "amount", value=amount_text)
    return cur, amount


def record_adjustment(
    uow: SqlUnitOfWork,
    member_id: str,
    currency: str,
    amount_text: str,
    reason: str,
    *,
    actor: str,
    now: dt.datetime,
) -> LedgerEntry:
    """Add an ``adjust`` entry, audited with the balance before and after.

    :raises MemberError: unknown member, bad amount, no reason, or a removal larger than the
        available balance.
    """
    session = uow.session
    reason = reason.strip()
    if len(reason) < 5:
        raise MemberError("Give the reason for the adjustment (at least 5 characters).", "reason")
    cur, amount = parse_adjustment(currency, amount_text)
    member = session.get(Member, member_id)
    if member is None:
        raise MemberError("Unknown member {id}", None, id=member_id)
    if not member.active:
        raise MemberError(
            "Member {id} deleted their account (LGPD): their balance is closed.", None, id=member_id
        )
    # Take the id (and the counter row's lock) before reading the balance: a concurrent
    # adjustment then commits first and this one's balance read sees it.
    entry_id = next_entry_id(session)
    before = balances(session, member_id, now)[cur.value]
    if before.available + amount < 0:
        raise MemberError(
            "This would leave a negative balance: available {available}, adjustment {amount}.",
            "amount",
            available=f"{before.available:f}",
            amount=f"{amount:f}",
        )
    try:
        entry = LedgerEntry(
            entry_id=entry_id,
            member_id=member_id,
            currency=cur,
            kind=EntryKind.ADJUST,
            amount=amount,
            effective_at=now,
            store_id=SERVER_STORE,
            terminal_id=WEB_WORKER,
            reason=reason[:200],
        )
    except InvalidEntry as exc:
        raise MemberError("{why}", "amount", why=exc.message_en) from None
    session.add(
        LedgerEntryRow(
            entry_id=entry.entry_id,
            member_id=member_id,
            currency=cur.value,
            kind=entry.kind.value,
            amount=amount,
            effective_at=now,
            available_at=None,
            expires_at=None,
            sale_id=None,
            rule_id=None,
            store_id=SERVER_STORE,
            terminal_id=WEB_WORKER,
            reverses=None,
            reason=entry.reason,
            event_id=None,
            recorded_at=now,
        )
    )
    uow.audit_change(
        actor,
        "member.adjust",
        "member",
        member_id,
        before={"currency": cur.value, "available": f"{before.available:f}"},
        after={"currency": cur.value, "available": f"{before.available + amount:f}"},
        entry_id=entry.entry_id,
        amount=f"{amount:f}",
        reason=entry.reason,
    )
    return entry


adjust = use_case(record_adjustment)
"""Add an ``adjust`` entry as one transaction (the web's and the demo's use case)."""
