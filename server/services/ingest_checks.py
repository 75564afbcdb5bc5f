"""The checks of a push: who made each event, and what needs the database (ids taken)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.events import (
    Event,
    MemberEnrolled,
    RefundRecorded,
    SaleRecorded,
    VoucherUsed,
)
from loyalty.rewards.ids import is_ticket_of, parse_entry_id, parse_made_id
from loyalty.rewards.ledger import LedgerEntry
from loyalty.rewards.voucher_codes import normalize_code

from ..models import (
    Card,
    LedgerEntryRow,
    Member,
    Refund,
    Sale,
    Voucher,
)
from .ingest_types import BatchResult, Pending, Reject, Rejection, entries_of
from .raffle import terminal_numbers
from .terminals import TerminalIdentity


def check_origin(event: Event, who: TerminalIdentity) -> None:
    h = event.header
    if h.store_id != who.store_id or h.terminal_id != who.terminal_id:
        raise Reject(
            "wrong_terminal",
            f"event made at {h.store_id}/{h.terminal_id} "
            f"pushed by {who.store_id}/{who.terminal_id}",
        )
    for kind, made in _made_ids(event):
        _check_made_id(kind, made, who)
    for entry in entries_of(event):
        origin = parse_entry_id(entry.entry_id)
        if (origin.store_id, origin.terminal_id) != (who.store_id, who.terminal_id):
            raise Reject(
                "wrong_terminal", f"ledger entry {entry.entry_id!r} was not made by this terminal"
            )
        if entry.store_id not in (None, who.store_id) or entry.terminal_id not in (
            None,
            who.terminal_id,
        ):
            raise Reject(
                "wrong_terminal", f"ledger entry {entry.entry_id!r} names another store or terminal"
            )


def _made_ids(event: Event) -> list[tuple[str, str]]:
    """The ids the event names as its own, with the kind each must be (``ids.KINDS``)."""
    found = [("V", event.header.event_id)]
    if isinstance(event, SaleRecorded):
        found.append(("S", event.sale_id))
    elif isinstance(event, RefundRecorded):
        found.append(("R", event.refund_id))
    elif isinstance(event, MemberEnrolled):
        found.append(("M", event.member_id))
    return found


def _check_made_id(kind: str, value: str, who: TerminalIdentity) -> None:
    """An id in the format tills make (``loyalty.rewards.ids``) must be of its kind and name
    the pushing terminal: a till must not take the ids another till will make. Ids in another
    format (a member's card number, events of older agents) are left to the other checks."""
    try:
        made_kind, origin = parse_made_id(value)
    except LoyaltyError:
        return
    if made_kind != kind:
        raise Reject("invalid_id", f"{value!r} is not an id of this kind ({kind}:…)")
    if (origin.store_id, origin.terminal_id) != (who.store_id, who.terminal_id):
        raise Reject("wrong_terminal", f"id {value!r} was not made by this terminal")


def check_against_db(s: Session, todo: list[Pending], result: BatchResult) -> list[Pending]:
    """Reject events whose ids or keys are taken by other events; return the rest, in order."""
    sale_ids = {p.event.sale_id for p in todo if isinstance(p.event, SaleRecorded)}
    refund_ids = {p.event.refund_id for p in todo if isinstance(p.event, RefundRecorded)}
    enrols = [p for p in todo if isinstance(p.event, MemberEnrolled)]
    entries = {e.entry_id: e for p in todo for e in entries_of(p.event)}
    codes: dict[str, str] = {}
    for p in todo:
        if isinstance(p.event, VoucherUsed):
            try:
                codes[p.event_id] = normalize_code(p.event.voucher_code)
            except LoyaltyError:
                codes[p.event_id] = p.event.voucher_code
    taken_sales = (
        set(s.scalars(select(Sale.sale_id).where(Sale.sale_id.in_(sale_ids))))
        if sale_ids
        else set()
    )
    taken_refunds = (
        set(s.scalars(select(Refund.refund_id).where(Refund.refund_id.in_(refund_ids))))
        if refund_ids
        else set()
    )
    existing_entries = (
        {
            r.entry_id: r
            for r in s.scalars(
                select(LedgerEntryRow).where(LedgerEntryRow.entry_id.in_(list(entries)))
            )
        }
        if entries
        else {}
    )
    vouchers = (
        {
            v.code: v.voucher_id
            for v in s.execute(
                select(Voucher.code, Voucher.voucher_id).where(
                    Voucher.code.in_(set(codes.values()))
                )
            )
        }
        if codes
        else {}
    )
    members_taken: set[str] = set()
    cpfs_taken: set[str] = set()
    cards_taken: set[str] = set()
    if enrols:
        mids = {p.event.member_id for p in enrols}  # type: ignore[union-attr]
        members_taken = set(s.scalars(select(Member.id).where(Member.id.in_(mids))))
        hashes = {p.cpf_hash for p in enrols if p.cpf_hash}
        if hashes:
            cpfs_taken = {
                h
                for h in s.scalars(select(Member.cpf_hash).where(Member.cpf_hash.in_(hashes)))
                if h
            }
        cards = {p.event.card_number for p in enrols if p.event.card_number}  # type: ignore[union-attr]
        if cards:
            cards_taken = set(s.scalars(select(Card.number).where(Card.number.in_(cards))))

    keep: list[Pending] = []
    batch_entries: dict[str, LedgerEntry] = {}
    numbers: dict[tuple[str, str], frozenset[int] | None] = {}
    for p in todo:
        e = p.event
        try:
            if isinstance(e, SaleRecorded):
                if e.sale_id in taken_sales:
                    raise Reject(
                        "duplicate_sale", f"sale {e.sale_id!r} was already pushed by another event"
                    )
                _check_tickets(s, e, numbers)
                taken_sales.add(e.sale_id)
            elif isinstance(e, RefundRecorded):
                if e.refund_id in taken_refunds:
                    raise Reject(
                        "duplicate_refund",
                        f"refund {e.refund_id!r} was already pushed by another event",
                    )
                taken_refunds.add(e.refund_id)
            elif isinstance(e, VoucherUsed):
                p.voucher_id = vouchers.get(codes[p.event_id])
                if p.voucher_id is None:
                    raise Reject("unknown_voucher", "no voucher with this code")
            elif isinstance(e, MemberEnrolled):
                if e.member_id in members_taken:
                    raise Reject("duplicate_member", f"member id {e.member_id!r} exists already")
                # Name the till's member id (opaque, no personal data): its sales are applied
                # under it, and head office moves their points to the real member by hand.
                if p.cpf_hash is not None and p.cpf_hash in cpfs_taken:
                    raise Reject(
                        "cpf_already_enrolled",
                        f"this CPF belongs to an enrolled member; member id {e.member_id!r} "
                        "of this till's enrolment was not created",
                    )
                if e.card_number is not None and e.card_number in cards_taken:
                    raise Reject(
                        "card_taken",
                        f"this card number belongs to another member; member id "
                        f"{e.member_id!r} of this till's enrolment was not created",
                    )
                members_taken.add(e.member_id)
                if p.cpf_hash:
                    cpfs_taken.add(p.cpf_hash)
                if e.card_number:
                    cards_taken.add(e.card_number)
            for entry in entries_of(e):
                prior = batch_entries.get(entry.entry_id)
                stored = existing_entries.get(entry.entry_id)
                if (prior is not None and prior != entry) or (
                    stored is not None and not _same(stored, entry)
                ):
                    raise Reject(
                        "ledger_conflict",
                        f"ledger entry {entry.entry_id!r} exists with other content",
                    )
            for entry in entries_of(e):
                batch_entries[entry.entry_id] = entry
        except Reject as exc:
            result.rejected.append(Rejection(p.index, p.event_id, exc.code, exc.message))
            continue
        keep.append(p)
    return keep


def _check_tickets(
    s: Session, e: SaleRecorded, numbers: dict[tuple[str, str], frozenset[int] | None]
) -> None:
    """Tickets name a known raffle, belong to this sale, and use the till's own numbers."""
    for t in e.raffle_tickets:
        if not is_ticket_of(t.ticket_id, e.sale_id):
            raise Reject("raffle_ticket", f"ticket {t.ticket_id!r} is not of sale {e.sale_id!r}")
        key = (t.campaign_id, e.header.terminal_id)
        if key not in numbers:
            numbers[key] = terminal_numbers(s, *key)
        own = numbers[key]
        if own is None:
            raise Reject("unknown_raffle", f"no raffle {t.campaign_id!r}")
        if t.number is not None and t.number not in own:
            raise Reject(
                "raffle_number",
                f"number {t.number} of raffle {t.campaign_id!r} is not in this terminal's blocks",
            )


def _same(row: LedgerEntryRow, entry: LedgerEntry) -> bool:
    return (
        row.member_id == entry.member_id
        and row.currency == entry.currency.value
        and row.kind == entry.kind.value
        and row.amount == entry.amount
        and row.effective_at == entry.effective_at
        and row.sale_id == entry.sale_id
        and row.reverses == entry.reverses
    )
