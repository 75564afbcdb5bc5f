"""The advance-notice job: list the members whose points or cashback expire in the next
``EXPIRY_NOTICE_DAYS`` days, in ``expiry_notices``, for the messages feature to send.

It reads only the members whose ``ledger_due.due_at`` falls before the horizon (the index the
expiry job keeps: a member whose next expiry is later has nothing to announce), in keyset
batches. Per member it replaces the notices not sent yet with what the fold finds now, so a
run twice, or after the member spent some, leaves exactly the current amounts; a notice already
sent (``sent_at``) stays as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, delete, literal, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loyalty.rewards.notices import upcoming_expiries

from ..jobs.contract import JobContext, JobReport
from ..models import ExpiryNotice, LedgerDue
from .ledger_reads import entries_by_member
from .uow import SqlUnitOfWork

_D = cast(Table, LedgerDue.__table__)
_N = cast(Table, ExpiryNotice.__table__)


def notice_days(config: dict[str, object]) -> int:
    days = config.get("EXPIRY_NOTICE_DAYS", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 366:
        raise ValueError(
            f"EXPIRY_NOTICE_DAYS must be a whole number of days from 1 to 366: {days!r}"
        )
    return days


def list_expiry_notices(ctx: JobContext) -> JobReport:
    """The job (``server/jobs``): notices for everything expiring in ``(now, now + N days]``."""
    at = ctx.now
    horizon = at + dt.timedelta(days=notice_days(ctx.app.config))
    report = JobReport(detail={"members": 0, "notices": 0})
    after: tuple[dt.datetime, str] | None = None
    while True:
        with SqlUnitOfWork.for_app(ctx.app) as uow:
            s = uow.session
            stmt = select(_D.c.member_id, _D.c.due_at).where(_D.c.due_at <= horizon)
            if after is not None:
                due, member = after
                stmt = stmt.where(
                    tuple_(_D.c.due_at, _D.c.member_id)
                    > tuple_(literal(due, _D.c.due_at.type), literal(member))
                )
            rows = s.execute(stmt.order_by(_D.c.due_at, _D.c.member_id).limit(ctx.batch_size)).all()
            if not rows:
                break
            ids = [r.member_id for r in rows]
            by_member = entries_by_member(s, ids)
            notices = []
            for member_id in ids:
                found = upcoming_expiries(by_member.get(member_id, []), at, horizon)
                if found:
                    report.detail["members"] += 1
                notices += [
                    {
                        "member_id": member_id,
                        "currency": x.currency.value,
                        "expires_at": x.expires_at,
                        "amount": x.amount,
                        "listed_at": at,
                        "sent_at": None,
                    }
                    for x in found
                ]
            s.execute(delete(_N).where(_N.c.member_id.in_(ids), _N.c.sent_at.is_(None)))
            _insert_new(s, notices)
            uow.commit()
        after = (rows[-1].due_at, rows[-1].member_id)
        report.processed += len(rows)
        report.changed += len(notices)
        report.detail["notices"] += len(notices)
    return report


def _insert_new(session: Session, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert(_N) if dialect == "postgresql" else sqlite.insert(_N)).values(rows)
    session.execute(ins.on_conflict_do_nothing())  # a notice already sent stays as it was
