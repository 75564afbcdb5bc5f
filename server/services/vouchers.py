"""Settle a voucher's uses after a push, with the rewards core's deterministic rule.

Every use is kept in ``voucher_uses``; ``loyalty.rewards.voucher_settlement.settle`` ranks them
(server receipt time, then till timestamp, terminal, sale: a wrong till clock cannot win) and
the first ``max_uses`` stand. The conflict rows are
recomputed from scratch each time, so a late-arriving earlier use moves the earlier "winner"
into the conflicts: the end state depends only on the set of uses, never on arrival order.

:func:`add_voucher` makes one voucher by hand (the demo, tests); batches for a segment or a list
are :mod:`.voucher_batches`'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.rewards.voucher_codes import normalize_code
from loyalty.rewards.voucher_settlement import settle
from loyalty.rewards.vouchers import Voucher as CoreVoucher
from loyalty.rewards.vouchers import VoucherUse

from .. import clock
from ..db import new_session
from ..models import Voucher, VoucherConflict, VoucherUseRow
from .uow import SqlUnitOfWork, use_case


def to_core(v: Voucher) -> CoreVoucher:
    """The ORM row as the rewards core's value (explicit conversion; ORM never maps it)."""
    return CoreVoucher(
        voucher_id=v.voucher_id,
        code=v.code,
        name=v.name,
        percent=v.percent,
        amount=Money(v.amount) if v.amount is not None else None,
        min_subtotal=Money(v.min_subtotal),
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        max_uses=v.max_uses,
        stores=frozenset(v.store_ids) if v.store_ids is not None else None,
        member_id=v.member_id,
        campaign_id=v.campaign_id,
        void=v.void,
    )


def load_vouchers(app: Flask, codes: Sequence[str]) -> list[Any]:
    """The ``VoucherApplication``s for the codes a sale used (unknown codes are left out)."""
    from loyalty.pricing import VoucherApplication

    wanted = []
    for code in codes:
        try:
            wanted.append(normalize_code(code))
        except LoyaltyError:
            continue
    with new_session(app) as s:
        rows = {v.code: v for v in s.scalars(select(Voucher).where(Voucher.code.in_(wanted)))}
    return [VoucherApplication(**to_core(rows[c]).pricing_fields()) for c in wanted if c in rows]  # type: ignore[arg-type]


def settle_voucher(s: Session, voucher_id: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Re-settle one voucher; returns a flag per conflict that is new in this call."""
    voucher = s.scalars(
        select(Voucher).where(Voucher.voucher_id == voucher_id).with_for_update()
    ).one()
    rows = s.scalars(select(VoucherUseRow).where(VoucherUseRow.voucher_id == voucher_id)).all()
    uses = [
        VoucherUse(
            r.voucher_id,
            r.sale_id,
            r.store_id,
            r.terminal_id,
            r.used_at,
            r.member_id,
            restored=r.restored_at is not None,
            received_at=r.received_at,
        )
        for r in rows
    ]
    result = settle(to_core(voucher), uses)
    accepted = [u.sale_id for u in result.accepted]
    if voucher.accepted_sale_ids != accepted:
        voucher.accepted_sale_ids = accepted  # bumps change_seq: agents learn the outcome
    old = {
        c.sale_id: c
        for c in s.scalars(select(VoucherConflict).where(VoucherConflict.voucher_id == voucher_id))
    }
    losing = {c.use.sale_id: c for c in result.conflicts}
    stale = [sale_id for sale_id in old if sale_id not in losing]
    if stale:
        s.execute(
            delete(VoucherConflict).where(
                VoucherConflict.voucher_id == voucher_id, VoucherConflict.sale_id.in_(stale)
            )
        )
    flags = []
    for sale_id, conflict in losing.items():
        row = old.get(sale_id)
        winners = list(conflict.winners)
        if row is None:
            s.add(
                VoucherConflict(
                    voucher_id=voucher_id,
                    sale_id=sale_id,
                    terminal_id=conflict.use.terminal_id,
                    store_id=conflict.use.store_id,
                    used_at=conflict.use.used_at,
                    reason=conflict.reason.value,
                    winners=winners,
                    detected_at=now,
                    resolved=False,
                )
            )
            flags.append(
                {
                    "code": "voucher_conflict",
                    "voucher_id": voucher_id,
                    "sale_id": sale_id,
                    "winners": winners,
                }
            )
        elif row.winners != winners:
            row.winners = winners
    s.flush()
    return flags


@use_case
def add_voucher(
    uow: SqlUnitOfWork,
    voucher_id: str,
    code: str,
    *,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    max_uses: int | None = 1,
    store_ids: list[str] | None = None,
    member_id: str | None = None,
    min_subtotal: Decimal = Decimal("0.00"),
    name: str = "",
    actor: str = "cli",
) -> None:
    """One voucher (``amount`` off, or ``percent``), agents pull it at their next sync."""
    uow.session.add(
        Voucher(
            voucher_id=voucher_id,
            code=code,
            name=name or voucher_id,
            percent=percent,
            amount=amount,
            min_subtotal=min_subtotal,
            valid_from=valid_from,
            valid_until=valid_until,
            max_uses=max_uses,
            store_ids=store_ids,
            member_id=member_id,
            campaign_id=None,
            void=False,
            accepted_sale_ids=[],
            created_at=clock.now(),
        )
    )
    uow.audit("admin", actor, "voucher.add", "voucher", voucher_id)
