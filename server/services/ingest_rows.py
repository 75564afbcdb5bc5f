"""The writes of a push: claim the event ids, then insert every effect in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from loyalty.events import (
    MemberEnrolled,
    RefundRecorded,
    SaleRecorded,
    VoucherUsed,
)

from ..models import (
    AppliedEvent,
    Card,
    LedgerEntryRow,
    Member,
    RaffleTicketRow,
    RaffleVoid,
    Refund,
    Sale,
    SaleAppliedRule,
    SaleLine,
    VoucherUseRow,
)
from ..models.members import CardStatus
from ..models.raffle import TicketStatus
from ..models.sales import RepriceStatus
from ..models.sync import reserve_seqs
from ..security import CpfCipher
from .bulk import claim_ids, insert_rows
from .ingest_types import Pending, entries_of
from .raffle import assign_owed_tickets
from .terminals import TerminalIdentity


def write(
    s: Session,
    who: TerminalIdentity,
    group: list[Pending],
    now: dt.datetime,
    cipher: CpfCipher,
    vouchers: set[str],
) -> set[str]:
    """Claim the ids of ``group`` and write the effects of those this call claimed."""
    if not group:
        return set()
    applied_t: Table = AppliedEvent.__table__  # type: ignore[assignment]
    claim_rows = [
        {
            "event_id": p.event_id,
            "event_type": p.event.TYPE,
            "terminal_id": who.terminal_id,
            "store_id": who.store_id,
            "applied_at": now,
        }
        for p in group
    ]
    claimed = claim_ids(s, applied_t, claim_rows, "event_id")
    mine = [p for p in group if p.event_id in claimed]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLE_ORDER}
    for p in mine:
        rows_for(p, who, now, cipher, rows)
    tracked = rows["members"] + rows["cards"] + rows["ledger_entries"]
    for row, seq in zip(tracked, reserve_seqs(s, len(tracked)), strict=True):
        row["change_seq"] = seq
    for name in _TABLE_ORDER:
        insert_rows(s, _TABLES[name], rows[name], ignore=name == "ledger_entries")
    vouchers.update(r["voucher_id"] for r in rows["voucher_uses"])
    vouchers.update(restore_voucher_uses(s, [p.event for p in mine], now))
    vouchers.update(restore_late_uses(s, rows["voucher_uses"], now))
    # Voids go to raffle_voids first: a refund may arrive before its sale (reordered pushes).
    voids = [
        {"ticket_id": t.ticket_id, "refund_id": p.event.refund_id, "sale_id": p.event.sale_id}
        for p in mine
        if isinstance(p.event, RefundRecorded)
        for t in p.event.voided_tickets
    ]
    insert_rows(s, RaffleVoid.__table__, voids, ignore=True)  # type: ignore[arg-type]
    sales = {r["sale_id"] for r in rows["raffle_tickets"]} | {v["sale_id"] for v in voids}
    if sales:
        s.execute(
            update(RaffleTicketRow)
            .where(
                RaffleTicketRow.sale_id.in_(sales),
                RaffleTicketRow.id.in_(
                    select(RaffleVoid.ticket_id).where(RaffleVoid.sale_id.in_(sales))
                ),
            )
            .values(status=TicketStatus.VOID)
        )
    owed = {r["raffle_id"] for r in rows["raffle_tickets"] if r["number"] is None}
    if owed:
        assign_owed_tickets(s, owed)
    return claimed


def restore_voucher_uses(s: Session, events: list[Any], now: dt.datetime) -> set[str]:
    """Mark the uses that full refunds among ``events`` give back; the voucher ids touched.

    Runs only for events this call claimed, so a replayed refund changes nothing; a use
    already restored keeps its first refund. The caller re-settles the vouchers returned.
    """
    touched: set[str] = set()
    for e in events:
        if not isinstance(e, RefundRecorded) or not e.restored_vouchers:
            continue
        where = (
            VoucherUseRow.sale_id == e.sale_id,
            VoucherUseRow.voucher_id.in_(e.restored_vouchers),
            VoucherUseRow.restored_at.is_(None),
        )
        hit = set(s.scalars(select(VoucherUseRow.voucher_id).where(*where)))
        if hit:
            s.execute(
                update(VoucherUseRow).where(*where).values(restored_at=now, restored_by=e.refund_id)
            )
            touched |= hit
    return touched


def restore_late_uses(s: Session, uses: list[dict[str, Any]], now: dt.datetime) -> set[str]:
    """Restore uses just inserted whose sale a full refund already gave them back for (the
    refund arrived first, e.g. the use was re-sent after a rejection); the voucher ids."""
    if not uses:
        return set()
    sales = {u["sale_id"] for u in uses}
    given_back: dict[tuple[str, str], str] = {}
    for refund_id, sale_id, vouchers in s.execute(
        select(Refund.refund_id, Refund.sale_id, Refund.restored_vouchers).where(
            Refund.sale_id.in_(sales), Refund.restored_vouchers.is_not(None)
        )
    ):
        for voucher_id in vouchers or ():
            given_back.setdefault((sale_id, voucher_id), refund_id)
    touched: set[str] = set()
    for u in uses:
        refund_id = given_back.get((u["sale_id"], u["voucher_id"]))
        if refund_id is None:
            continue
        s.execute(
            update(VoucherUseRow)
            .where(VoucherUseRow.event_id == u["event_id"], VoucherUseRow.restored_at.is_(None))
            .values(restored_at=now, restored_by=refund_id)
        )
        touched.add(u["voucher_id"])
    return touched


def rows_for(
    p: Pending,
    who: TerminalIdentity,
    now: dt.datetime,
    cipher: CpfCipher,
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    e = p.event
    for entry in entries_of(e):
        rows["ledger_entries"].append(
            {
                "entry_id": entry.entry_id,
                "member_id": entry.member_id,
                "currency": entry.currency.value,
                "kind": entry.kind.value,
                "amount": entry.amount,
                "effective_at": entry.effective_at,
                "available_at": entry.available_at,
                "expires_at": entry.expires_at,
                "sale_id": entry.sale_id,
                "rule_id": entry.rule_id,
                "store_id": entry.store_id,
                "terminal_id": entry.terminal_id,
                "reverses": entry.reverses,
                "reason": entry.reason,
                "event_id": p.event_id,
                "recorded_at": now,
            }
        )
    if isinstance(e, SaleRecorded):
        rp = p.reprice
        rows["sales"].append(
            {
                "sale_id": e.sale_id,
                "event_id": p.event_id,
                "store_id": who.store_id,
                "terminal_id": who.terminal_id,
                "member_id": e.member_id,
                "occurred_at": e.header.occurred_at,
                "currency": e.currency,
                "subtotal": e.subtotal,
                "discount_total": e.discount_total,
                "total": e.total,
                "reprice_status": rp.status if rp else RepriceStatus.NOT_CHECKED,
                "reprice_detail": rp.detail if rp else None,
                "recorded_at": now,
                "member_context": None if e.member_context is None else dict(e.member_context),
                "coupon_codes": list(e.coupon_codes) or None,
            }
        )
        rows["sale_lines"].extend(
            {
                "sale_id": e.sale_id,
                "line_no": line.line_no,
                "sku": line.sku,
                "category_id": line.category_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "gross": line.gross,
                "discount": line.discount,
                "net": line.net,
                "brand": line.brand,
                "tags": list(line.tags) or None,
            }
            for line in e.lines
        )
        rows["sale_applied_rules"].extend(
            {
                "sale_id": e.sale_id,
                "position": i,
                "rule_id": r.rule_id,
                "kind": r.kind,
                "amount": r.amount.quantize(_CENT),
                "line_no": r.line_no,
                "description": r.description,
            }
            for i, r in enumerate(e.applied_rules)
        )
        if e.member_id is not None:  # tickets go to members; the till gives none otherwise
            rows["raffle_tickets"].extend(
                {
                    "id": t.ticket_id,
                    "raffle_id": t.campaign_id,
                    "number": t.number,
                    "member_id": e.member_id,
                    "sale_id": e.sale_id,
                    "terminal_id": who.terminal_id,
                    "status": TicketStatus.OWED if t.number is None else TicketStatus.ISSUED,
                    "by_server": False,
                    "issued_at": e.header.occurred_at,
                }
                for t in e.raffle_tickets
            )
    elif isinstance(e, RefundRecorded):
        rows["refunds"].append(
            {
                "refund_id": e.refund_id,
                "event_id": p.event_id,
                "sale_id": e.sale_id,
                "store_id": who.store_id,
                "terminal_id": who.terminal_id,
                "occurred_at": e.header.occurred_at,
                "amount": e.amount,
                "lines": [dict(x) for x in e.lines],
                "reason": e.reason,
                "recorded_at": now,
                "restored_vouchers": list(e.restored_vouchers) or None,
            }
        )
    elif isinstance(e, VoucherUsed):
        rows["voucher_uses"].append(
            {
                "event_id": p.event_id,
                "voucher_id": p.voucher_id,
                "sale_id": e.sale_id,
                "member_id": e.member_id,
                "store_id": who.store_id,
                "terminal_id": who.terminal_id,
                "used_at": e.header.occurred_at,
                "received_at": now,
            }
        )
    elif isinstance(e, MemberEnrolled):
        at = e.header.occurred_at
        rows["members"].append(
            {
                "id": e.member_id,
                "name": e.name,
                "cpf_encrypted": cipher.encrypt(e.cpf, e.member_id) if e.cpf else None,
                "cpf_hash": p.cpf_hash,
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
            }
        )
        if e.card_number:
            rows["cards"].append(
                {
                    "number": e.card_number,
                    "member_id": e.member_id,
                    "status": CardStatus.ACTIVE,
                    "replaced_by": None,
                    "issued_at": at,
                    "updated_at": now,
                }
            )


_CENT = Decimal("0.01")
_TABLE_ORDER = (
    "members",
    "cards",
    "sales",
    "sale_lines",
    "sale_applied_rules",
    "raffle_tickets",
    "refunds",
    "ledger_entries",
    "voucher_uses",
)
_TABLES: dict[str, Table] = {
    "members": Member.__table__,  # type: ignore[dict-item]
    "cards": Card.__table__,  # type: ignore[dict-item]
    "sales": Sale.__table__,  # type: ignore[dict-item]
    "sale_lines": SaleLine.__table__,  # type: ignore[dict-item]
    "sale_applied_rules": SaleAppliedRule.__table__,  # type: ignore[dict-item]
    "raffle_tickets": RaffleTicketRow.__table__,  # type: ignore[dict-item]
    "refunds": Refund.__table__,  # type: ignore[dict-item]
    "ledger_entries": LedgerEntryRow.__table__,  # type: ignore[dict-item]
    "voucher_uses": VoucherUseRow.__table__,  # type: ignore[dict-item]
}
