"""A voucher used at a till: the code must name a voucher here; the use is settled after the
insert (``services/vouchers.py``), and given back at once if a full refund of its sale came
first (a use re-sent after a rejection, pushes reordered)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import ClassVar, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.events import VoucherUsed
from loyalty.rewards.voucher_codes import normalize_code

from ...models import Refund, Voucher, VoucherUseRow
from ..ingest_types import Pending, Reject
from .base import EventHandler, RowContext, Text


def _code(e: VoucherUsed) -> str:
    try:
        return normalize_code(e.voucher_code)
    except LoyaltyError:
        return e.voucher_code


class VoucherUsedHandler(EventHandler[VoucherUsed]):
    event: ClassVar[type] = VoucherUsed

    def made_ids(self, event: VoucherUsed) -> tuple[tuple[str, str], ...]:
        return (("S", event.sale_id),)  # the use is of a sale of this till

    def texts(self, event: VoucherUsed) -> Iterable[Text]:
        yield "voucher_code", event.voucher_code, Voucher.code
        yield "sale_id", event.sale_id, VoucherUseRow.sale_id
        yield "member_id", event.member_id, VoucherUseRow.member_id

    def preload(self, s: Session, items: Sequence[Pending]) -> dict[str, str]:
        codes = {_code(cast(VoucherUsed, p.event)) for p in items}
        if not codes:
            return {}
        rows = s.execute(select(Voucher.code, Voucher.voucher_id).where(Voucher.code.in_(codes)))
        return {code: voucher_id for code, voucher_id in rows}

    def check(self, item: Pending, known: dict[str, str]) -> None:
        item.voucher_id = known.get(_code(cast(VoucherUsed, item.event)))
        if item.voucher_id is None:
            raise Reject("unknown_voucher", "no voucher with this code")

    def rows(self, item: Pending, out: RowContext) -> None:
        e = cast(VoucherUsed, item.event)
        out.add(
            "voucher_uses",
            {
                "event_id": item.event_id,
                "voucher_id": item.voucher_id,
                "sale_id": e.sale_id,
                "member_id": e.member_id,
                "store_id": out.who.store_id,
                "terminal_id": out.who.terminal_id,
                "used_at": e.header.occurred_at,
                "received_at": out.now,
            },
        )

    def applied(self, s: Session, items: Sequence[Pending], now: dt.datetime) -> set[str]:
        """Every voucher used (to settle), restoring uses whose sale a full refund already
        gave back."""
        used = {p.voucher_id for p in items if p.voucher_id is not None}
        if not items:
            return used
        sales = {cast(VoucherUsed, p.event).sale_id for p in items}
        given_back: dict[tuple[str, str], str] = {}
        for refund_id, sale_id, vouchers in s.execute(
            select(Refund.refund_id, Refund.sale_id, Refund.restored_vouchers).where(
                Refund.sale_id.in_(sales), Refund.restored_vouchers.is_not(None)
            )
        ):
            for voucher_id in vouchers or ():
                given_back.setdefault((sale_id, voucher_id), refund_id)
        for p in items:
            if p.voucher_id is None:
                continue
            refund_id = given_back.get((cast(VoucherUsed, p.event).sale_id, p.voucher_id))
            if refund_id is None:
                continue
            s.execute(
                update(VoucherUseRow)
                .where(VoucherUseRow.event_id == p.event_id, VoucherUseRow.restored_at.is_(None))
                .values(restored_at=now, restored_by=refund_id)
            )
        return used
