"""A refund of a sale recorded at this till: reversing ledger entries and a ``refund`` event.

The sale and its entries are read from the journal, what earlier refunds did from
``refund_state``; :func:`loyalty.rewards.refund_sale` computes the reversal, so any sequence of
partial refunds adds up exactly. Nothing is written here: the caller records the ``Write``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.events import EventHeader, RefundRecorded, TicketLine
from loyalty.money import Money
from loyalty.rewards import (
    RaffleTicket,
    RefundState,
    SaleRecord,
    VoucherUse,
    make_entry_id,
    make_event_id,
    make_refund_id,
    refund_sale,
)

from ..journal import (
    Journal,
    OutboxRow,
    RefundRow,
    RefundStateRow,
    VoucherRestoreRow,
    Write,
)
from .errors import BadRequest, SaleStateError


def _state_to_json(state: RefundState) -> str:
    return json.dumps(
        {
            "refunded": f"{state.refunded.amount:f}",
            "reversed": {k: f"{v:f}" for k, v in state.reversed.items()},
            "voided_tickets": sorted(state.voided_tickets),
        }
    )


def _state_from(d: dict[str, Any] | None) -> RefundState:
    if d is None:
        return RefundState()
    return RefundState(
        Money(d["refunded"]),
        {k: Decimal(v) for k, v in d["reversed"].items()},
        frozenset(d["voided_tickets"]),
    )


def refund_sale_write(
    journal: Journal,
    store_id: str,
    terminal_id: str,
    at: datetime,
    pos_refund_id: str,
    pos_sale_id: str,
    amount: Decimal | str,
    reason: str | None,
) -> tuple[dict[str, Any], Write]:
    """The answer and rows of one refund. Takes ids from the journal's counters.

    :raises SaleStateError: the sale is not recorded at this till.
    :raises RefundError: an amount that is not positive cents, or beyond the sale's total.
    """
    try:
        value = Money(Decimal(amount) if isinstance(amount, str) else amount)
    except (InvalidOperation, TypeError):
        raise BadRequest(
            f"refund amount must be a decimal such as '10.00': {amount!r}",
            f"valor da devolução deve ser decimal como '10.00': {amount!r}",
        ) from None
    sale_id = journal.sale_id_for_pos(pos_sale_id) or pos_sale_id
    row = journal.sale_row(sale_id)
    if row is None:
        raise SaleStateError(
            f"sale {pos_sale_id!r} was not recorded at this till",
            f"venda {pos_sale_id!r} não foi registrada neste caixa",
        )
    member_id, total_cents = row.member_id, row.total_cents
    c = journal.counters
    state = _state_from(journal.refund_state(sale_id))
    entries = journal.entries_for_sale(sale_id, member_id) if member_id else []

    def new_id() -> str:
        return make_entry_id(store_id, terminal_id, c.take("entry"))

    made: tuple[Any, ...] = ()
    new_state: RefundState
    tickets = tuple(
        RaffleTicket(
            t.ticket_id,
            t.campaign_id,
            sale_id,
            t.member_id,
            datetime.fromisoformat(t.issued_at),
            t.number,
        )
        for t in journal.tickets_for_sale(sale_id)
    )
    uses = tuple(
        VoucherUse(vid, sale_id, store_id, terminal_id, at)
        for vid in journal.vouchers_of_sale(sale_id)
    )
    record = SaleRecord(
        sale_id, member_id or "-", Money.from_cents(total_cents), tuple(entries), tickets, uses
    )
    ledger = journal.entries_for_member(member_id) if member_id else []
    result = refund_sale(
        record,
        refund=value,
        state=state,
        ledger=ledger,
        at=at,
        new_id=new_id,
        store_id=store_id,
        terminal_id=terminal_id,
    )
    made, new_state = result.entries, result.state
    refund_id = make_refund_id(store_id, terminal_id, c.take("refund"))
    header = EventHeader(
        make_event_id(store_id, terminal_id, c.take("event")), store_id, terminal_id, at
    )
    by_id = {t.ticket_id: t for t in tickets}
    voided = tuple(
        TicketLine(i, by_id[i].campaign_id, by_id[i].number) for i in result.void_tickets
    )
    event = RefundRecorded(
        header,
        refund_id,
        sale_id,
        value.amount,
        reason=reason,
        ledger_entries=tuple(made),
        voided_tickets=voided,
        restored_vouchers=tuple(u.voucher_id for u in result.restore_vouchers),
    )
    answer = {
        "status": "recorded",
        "refund_id": refund_id,
        "sale_id": sale_id,
        "occurred_at": at.isoformat(),
        "amount": f"{value.amount:f}",
        "refunded_total": f"{new_state.refunded.amount:f}",
        "raffle_tickets_voided": [
            {"campaign_id": t.campaign_id, "number": t.number} for t in voided
        ],
        "vouchers_restored": [u.voucher_id for u in result.restore_vouchers],
        "points_reversed": int(
            sum((e.amount for e in made if e.currency.value == "points"), Decimal(0))
        ),
    }
    write = Write(
        refund=RefundRow(pos_refund_id, refund_id, sale_id, answer),
        refund_state=RefundStateRow(sale_id, _state_to_json(new_state)),
        entries=list(made),
        # Same transaction as the refund: the till takes the voucher again from this commit on.
        voucher_restores=[
            VoucherRestoreRow(u.voucher_id, sale_id, refund_id, at.isoformat())
            for u in result.restore_vouchers
        ],
        events=[OutboxRow(header.event_id, event.TYPE, json.dumps(event.to_dict()))],
    )
    return answer, write
