"""A refund recorded at a till: its id unique, its reversals capped by the entries they reverse
(``services/refund_caps.py``), its other entries applied by the common ledger step, the
voucher uses a full refund gives back restored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import ClassVar, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyalty.events import RefundRecorded
from loyalty.rewards.ids import is_ticket_of
from loyalty.rewards.ledger import LedgerEntry

from ...models import RaffleVoid, Refund, VoucherUseRow
from ..ingest_types import Pending, Reject
from ..refund_caps import reversal_row
from ..till_grants import Hold, is_reversal, refund_holds
from .base import EventHandler, GrantFacts, RowContext, Text


class RefundHandler(EventHandler[RefundRecorded]):
    event: ClassVar[type] = RefundRecorded

    def entries(self, event: RefundRecorded) -> tuple[LedgerEntry, ...]:
        return event.ledger_entries

    def made_ids(self, event: RefundRecorded) -> tuple[tuple[str, str], ...]:
        return (("R", event.refund_id), ("S", event.sale_id))  # a till refunds its own sales

    def texts(self, event: RefundRecorded) -> Iterable[Text]:
        yield "refund_id", event.refund_id, Refund.refund_id
        yield "sale_id", event.sale_id, Refund.sale_id
        yield "reason", event.reason, Refund.reason
        for t in event.voided_tickets:
            yield "voided_tickets[].ticket_id", t.ticket_id, RaffleVoid.ticket_id

    def preload(self, s: Session, items: Sequence[Pending]) -> set[str]:
        ids = {cast(RefundRecorded, p.event).refund_id for p in items}
        if not ids:
            return set()
        return set(s.scalars(select(Refund.refund_id).where(Refund.refund_id.in_(ids))))

    def check(self, item: Pending, known: set[str]) -> None:
        e = cast(RefundRecorded, item.event)
        for t in e.voided_tickets:
            if not is_ticket_of(t.ticket_id, e.sale_id):
                raise Reject(
                    "raffle_ticket", f"ticket {t.ticket_id!r} is not of sale {e.sale_id!r}"
                )
        if e.refund_id in known:
            raise Reject(
                "duplicate_refund", f"refund {e.refund_id!r} was already pushed by another event"
            )
        known.add(e.refund_id)

    def holds(self, item: Pending, facts: GrantFacts) -> dict[str, Hold]:
        """Credits that are not reversals (reversals are capped, ``services/refund_caps.py``)."""
        return refund_holds(cast(RefundRecorded, item.event).ledger_entries)

    def reversals(self, event: RefundRecorded) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in event.ledger_entries if is_reversal(e))

    def rows(self, item: Pending, out: RowContext) -> None:
        e = cast(RefundRecorded, item.event)
        out.add(
            "refunds",
            {
                "refund_id": e.refund_id,
                "event_id": item.event_id,
                "sale_id": e.sale_id,
                "store_id": out.who.store_id,
                "terminal_id": out.who.terminal_id,
                "occurred_at": e.header.occurred_at,
                "amount": e.amount,
                "lines": [dict(x) for x in e.lines],
                "reason": e.reason,
                "recorded_at": out.now,
                "restored_vouchers": list(e.restored_vouchers) or None,
            },
        )
        # settled against the entries they reverse once the push's rows are in (refund_caps)
        out.add(
            "refund_reversals",
            *(
                reversal_row(
                    entry,
                    event_id=item.event_id,
                    refund_id=e.refund_id,
                    sale_id=e.sale_id,
                    store_id=out.who.store_id,
                    terminal_id=out.who.terminal_id,
                    now=out.now,
                )
                for entry in e.ledger_entries
                if entry.entry_id in item.deferred
            ),
        )
        # inserted by the push's raffle step, which also voids tickets of this push's sales
        out.add(
            "raffle_voids",
            *(
                {"ticket_id": t.ticket_id, "refund_id": e.refund_id, "sale_id": e.sale_id}
                for t in e.voided_tickets
            ),
        )

    def applied(self, s: Session, items: Sequence[Pending], now: dt.datetime) -> set[str]:
        """Mark the uses that full refunds give back; the voucher ids touched.

        A use already restored keeps its first refund. The caller re-settles the vouchers.
        """
        touched: set[str] = set()
        for p in items:
            e = cast(RefundRecorded, p.event)
            if not e.restored_vouchers:
                continue
            where = (
                VoucherUseRow.sale_id == e.sale_id,
                VoucherUseRow.voucher_id.in_(e.restored_vouchers),
                VoucherUseRow.restored_at.is_(None),
            )
            hit = set(s.scalars(select(VoucherUseRow.voucher_id).where(*where)))
            if hit:
                s.execute(
                    update(VoucherUseRow)
                    .where(*where)
                    .values(restored_at=now, restored_by=e.refund_id)
                )
                touched |= hit
        return touched
