"""What one finalised sale writes: its ledger entries, events, voucher uses and the answer.

Built in memory from the priced sale, with ids taken from the terminal's counters; the
service writes it all in one journal transaction (:meth:`agent.journal.Journal.record`).
Redemptions (points first, then cashback, each first-expiring-first-out) and the per-rule
earnings are the core's (``loyalty.rewards.redeem_for_sale``, ``rule_rewards``), so the server
re-checks a pushed sale with the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from loyalty.events import EventHeader, SaleRecorded, TicketLine, VoucherUsed
from loyalty.rewards import (
    LedgerEntry,
    RaffleTicket,
    make_entry_id,
    make_event_id,
    make_sale_id,
    redeem_for_sale,
    rule_rewards,
    sale_earn_entries,
)

from ..journal import Counters, OutboxRow, SaleRow, TicketRow, VoucherUseRow, Write
from . import build
from .raffle import RaffleSource, format_tickets, issue_for_sale
from .state import OpenSale, SaleSettings

BalanceView = Callable[[str, Sequence[LedgerEntry]], dict[str, Any]]


def sale_write(
    settings: SaleSettings,
    counters: Counters,
    sale: OpenSale,
    ledger: list[LedgerEntry],
    quote: dict[str, Any],
    balance_view: BalanceView,
    raffles: RaffleSource | None = None,
) -> tuple[dict[str, Any], Write]:
    """The answer to the POS and the rows to write for ``sale``.

    :param ledger: the member's entries (server's and this till's), for redemptions.
    :param raffles: campaigns and this till's number blocks; ``None``: tickets are not numbered.
    :raises RedemptionError, InsufficientBalance: a tender the balance no longer covers.
    """
    assert sale.result is not None
    assert sale.at is not None
    s, c, at, result = settings, counters, sale.at, sale.result
    sale_id = make_sale_id(s.store_id, s.terminal_id, c.take("sale"))

    def new_entry_id() -> str:
        return make_entry_id(s.store_id, s.terminal_id, c.take("entry"))

    def new_header() -> EventHeader:
        return EventHeader(
            make_event_id(s.store_id, s.terminal_id, c.take("event")),
            s.store_id,
            s.terminal_id,
            at,
        )

    entries: list[LedgerEntry] = []
    member_id = sale.member.member_id if sale.member else None
    raffle: Mapping[str, int] = {}
    tickets: list[RaffleTicket] = []
    if member_id is not None:
        if sale.points or sale.cashback.amount:
            entries += redeem_for_sale(
                ledger,
                points=sale.points,
                cashback=sale.cashback,
                total=result.total,
                points_config=s.points,
                cashback_config=s.cashback,
                member_id=member_id,
                at=at,
                new_id=new_entry_id,
                sale_id=sale_id,
                store_id=s.store_id,
                terminal_id=s.terminal_id,
            ).entries
        earned = sale_earn_entries(
            sale_id=sale_id,
            member_id=member_id,
            at=at,
            rewards=rule_rewards(result.rewards.details),
            new_id=new_entry_id,
            points_config=s.points,
            cashback_config=s.cashback,
            store_id=s.store_id,
            terminal_id=s.terminal_id,
        )
        entries += earned.entries
        raffle = earned.raffle_tickets
        if raffles is not None:
            tickets = issue_for_sale(
                raffles, c, sale_id=sale_id, member_id=member_id, at=at, counts=raffle
            )
    context = None
    if sale.context is not None:
        # What the till priced with, so the server re-prices the same way (tier, segments).
        context = {
            "tier": sale.context.tier,
            "segments": sorted(sale.context.segments),
            "activated_offers": sorted(sale.context.activated_offers),
        }
    codes = [v.code for v in sale.vouchers]
    event = build.sale_event_wire(
        new_header(),
        sale_id,
        member_id,
        sale.basket,
        result,
        codes,
        entries,
        context,
        quote,
        tuple(TicketLine(t.ticket_id, t.campaign_id, t.number) for t in tickets),
        sale.coupons,  # presented rule coupons: the server re-prices with the same codes
    )
    events = [OutboxRow(event["event_id"], SaleRecorded.TYPE, orjson.dumps(event))]
    uses = []
    for v in sale.vouchers:
        use = VoucherUsed(new_header(), v.code, sale_id, member_id)
        events.append(OutboxRow(use.header.event_id, use.TYPE, orjson.dumps(use.to_dict())))
        uses.append(VoucherUseRow(v.voucher_id, sale_id, member_id, at.isoformat()))
    answer = {
        "status": "recorded",
        "sale_id": sale_id,
        "occurred_at": at.isoformat(),
        "member_id": member_id,
    } | quote
    answer["raffle_tickets"] = dict(raffle)
    if raffles is not None and tickets:
        # As printed; None: owed, head office sends the number later.
        answer["raffle_numbers"] = format_tickets(raffles, tickets)
    if member_id is not None:
        answer["balance"] = balance_view(member_id, ledger + entries)
    write = Write(
        sale=SaleRow(sale.pos_id, sale_id, member_id, at.isoformat(), result.total.cents, answer),
        entries=entries,
        events=events,
        voucher_uses=uses,
        tickets=[
            TicketRow(t.ticket_id, sale_id, t.campaign_id, t.number, t.member_id, at.isoformat())
            for t in tickets
        ],
    )
    return answer, write
