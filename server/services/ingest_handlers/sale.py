"""A sale recorded at a till: re-priced, its id unique, its raffle tickets the till's own.

The sale's ledger entries are applied by the common ledger step; owed raffle tickets are
numbered, and voids matched, by the push's raffle step (``ingest_rows.py``), which sees the
refunds of the same push too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.events import SaleRecorded
from loyalty.rewards.ids import is_ticket_of
from loyalty.rewards.ledger import LedgerEntry

from ...models import RaffleTicketRow, Sale, SaleAppliedRule, SaleLine
from ...models.raffle import TicketStatus
from ...models.sales import RepriceStatus
from ..ingest_types import Pending, Reject
from ..raffle import terminal_numbers
from ..reprice import offers_by_member
from ..tiers import lift_after_ingest
from ..till_grants import Hold, sale_holds
from .base import EventHandler, GrantFacts, PushContext, RowContext, Text

_CENT = Decimal("0.01")


@dataclass
class _Known:
    s: Session
    taken: set[str]
    numbers: dict[tuple[str, str], frozenset[int] | None] = field(default_factory=dict)


class SaleHandler(EventHandler[SaleRecorded]):
    event: ClassVar[type] = SaleRecorded

    def entries(self, event: SaleRecorded) -> tuple[LedgerEntry, ...]:
        return event.ledger_entries

    def made_ids(self, event: SaleRecorded) -> tuple[tuple[str, str], ...]:
        return (("S", event.sale_id),)

    def texts(self, event: SaleRecorded) -> Iterable[Text]:
        yield "sale_id", event.sale_id, Sale.sale_id
        yield "member_id", event.member_id, Sale.member_id
        for line in event.lines:
            n = line.line_no
            yield f"lines[{n}].sku", line.sku, SaleLine.sku
            yield f"lines[{n}].category_id", line.category_id, SaleLine.category_id
            yield f"lines[{n}].brand", line.brand, SaleLine.brand
        for i, rule in enumerate(event.applied_rules):
            yield f"applied_rules[{i}].rule_id", rule.rule_id, SaleAppliedRule.rule_id
            yield f"applied_rules[{i}].kind", rule.kind, SaleAppliedRule.kind
            yield f"applied_rules[{i}].description", rule.description, SaleAppliedRule.description
        for t in event.raffle_tickets:
            yield "raffle_tickets[].ticket_id", t.ticket_id, RaffleTicketRow.id
            yield "raffle_tickets[].campaign_id", t.campaign_id, RaffleTicketRow.raffle_id

    def prepare(self, items: Sequence[Pending], ctx: PushContext) -> None:
        """Re-price every sale with the campaigns in force and its member's personal offers
        (loaded for the whole push at once)."""
        if not items:
            return
        sales = [cast(SaleRecorded, p.event) for p in items]
        with ctx.uow as uow:
            offers = offers_by_member(uow.session, (e.member_id for e in sales if e.member_id))
            repricer = ctx.campaigns.repricer(
                uow.session,
                ctx.vouchers,
                lambda member: offers.get(member, []),
                tenders=ctx.tenders,
            )
        for p, e in zip(items, sales, strict=True):
            p.reprice = repricer(e)

    def preload(self, s: Session, items: Sequence[Pending]) -> _Known:
        ids = {cast(SaleRecorded, p.event).sale_id for p in items}
        taken = set(s.scalars(select(Sale.sale_id).where(Sale.sale_id.in_(ids)))) if ids else set()
        return _Known(s, taken)

    def check(self, item: Pending, known: _Known) -> None:
        e = cast(SaleRecorded, item.event)
        if e.sale_id in known.taken:
            raise Reject(
                "duplicate_sale", f"sale {e.sale_id!r} was already pushed by another event"
            )
        _check_tickets(known, e)
        known.taken.add(e.sale_id)

    def holds(self, item: Pending, facts: GrantFacts) -> dict[str, Hold]:
        """Earnings beyond the re-priced sale's, and entries a sale may not carry."""
        e = cast(SaleRecorded, item.event)
        rp = item.reprice
        repriced = rp is not None and rp.status in (RepriceStatus.MATCH, RepriceStatus.MISMATCH)
        differences = (rp.detail or {}).get("differences") if rp is not None else None
        return sale_holds(e.ledger_entries, differences, repriced)

    def rows(self, item: Pending, out: RowContext) -> None:
        e = cast(SaleRecorded, item.event)
        rp, who, now = item.reprice, out.who, out.now
        out.add(
            "sales",
            {
                "sale_id": e.sale_id,
                "event_id": item.event_id,
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
            },
        )
        out.add(
            "sale_lines",
            *(
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
            ),
        )
        out.add(
            "sale_applied_rules",
            *(
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
            ),
        )
        if e.member_id is not None:  # tickets go to members; the till gives none otherwise
            out.add(
                "raffle_tickets",
                *(
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
                ),
            )

    def applied(self, s: Session, items: Sequence[Pending], now: dt.datetime) -> set[str]:
        """The sales of this push are in, with their ledger entries (same transaction).

        Follow-ups of an applied sale go here, in the sale's transaction, for sales applied
        for the first time only: the members' tier upgrades are immediate (docs/rewards.md).
        """
        members = (cast(SaleRecorded, p.event).member_id for p in items)
        lift_after_ingest(s, (m for m in members if m), now)
        return set()


def _check_tickets(known: _Known, e: SaleRecorded) -> None:
    """Tickets name a known raffle, belong to this sale, and use the till's own numbers."""
    for t in e.raffle_tickets:
        if not is_ticket_of(t.ticket_id, e.sale_id):
            raise Reject("raffle_ticket", f"ticket {t.ticket_id!r} is not of sale {e.sale_id!r}")
        key = (t.campaign_id, e.header.terminal_id)
        if key not in known.numbers:
            known.numbers[key] = terminal_numbers(known.s, *key)
        own = known.numbers[key]
        if own is None:
            raise Reject("unknown_raffle", f"no raffle {t.campaign_id!r}")
        if t.number is not None and t.number not in own:
            raise Reject(
                "raffle_number",
                f"number {t.number} of raffle {t.campaign_id!r} is not in this terminal's blocks",
            )
