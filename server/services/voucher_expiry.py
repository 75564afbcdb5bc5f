"""Voucher expiry: vouchers past their validity are marked expired and sync to the tills again.

A till already refuses a voucher whose ``valid_until`` has passed; marking it gives head
office the list of what lapsed unused and gives every till a fresh copy of the row (a new
change number, ``expired_at`` in the voucher feed), so caches can drop it. One transaction
per batch over the ``(expired_at, valid_until)`` index; a second run finds nothing to do.
"""

from __future__ import annotations

from sqlalchemy import select

from ..jobs.contract import JobContext, JobReport
from ..models import Voucher
from .uow import SqlUnitOfWork


def expire_vouchers(ctx: JobContext) -> JobReport:
    """Mark every non-void voucher whose ``valid_until`` is before ``ctx.now`` as expired."""
    uow = SqlUnitOfWork.for_app(ctx.app)
    report = JobReport()
    while True:
        with uow:
            batch = list(
                uow.session.scalars(
                    select(Voucher)
                    .where(
                        Voucher.expired_at.is_(None),
                        Voucher.valid_until < ctx.now,
                        Voucher.void.is_(False),
                    )
                    .order_by(Voucher.valid_until, Voucher.voucher_id)
                    .limit(ctx.batch_size)
                )
            )
            if not batch:
                break
            for voucher in batch:
                voucher.expired_at = ctx.now  # the flush stamps a new change_seq: tills re-pull
            uow.commit()
        report.processed += len(batch)
        report.changed += len(batch)
    return report
