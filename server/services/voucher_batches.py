"""Vouchers issued in bulk: to every member of a segment, to a list of member ids, or as
codes tied to nobody; the codes as CSV; and each batch's uses.

Each voucher is one row of the server's ``vouchers`` table (agents pull it), with a fresh
code from ``loyalty.rewards.make_voucher_code`` (60 random bits, check character) and the id
``<batch id>-<5 digits>``. A batch is written in one transaction with its audit row: all its
vouchers or none (:func:`issue_batch`, the use case, through the unit of work).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.rewards import make_voucher_code

from ..models import Member, MemberSegment, Voucher, VoucherBatch, VoucherUseRow
from .segments import RFM, VALUE, parse_segment_name
from .uow import SqlUnitOfWork, use_case

MAX_BATCH = 10_000


class BatchError(ValueError):
    def __init__(self, message: str, field: str | None = None, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.field = field
        self.values = values


@dataclass(frozen=True)
class BatchSpec:
    name: str
    percent: Decimal | None
    amount: Decimal | None
    min_subtotal: Decimal
    valid_from: dt.datetime
    valid_until: dt.datetime
    max_uses: int


@dataclass(frozen=True)
class Audience:
    """Who a batch goes to: ``anonymous`` codes tied to nobody if given, else the members of
    ``segment``, else the typed ``member_ids_text``."""

    anonymous: int = 0
    segment: str | None = None
    member_ids_text: str = ""


def audience_members(session: Session, segment: str | None, member_ids_text: str) -> list[str]:
    """Member ids of a segment (``value:most_valuable``, ``rfm:champions``) or a typed list.

    :raises BatchError: unknown segment syntax or member ids that do not exist (named).
    """
    if segment:
        parsed = parse_segment_name(segment)
        if parsed is None:
            raise BatchError("Unknown segment {segment}", "segment", segment=segment)
        kind, name = parsed
        column = {VALUE: MemberSegment.value_class, RFM: MemberSegment.rfm_segment}[kind]
        return list(
            session.scalars(
                select(MemberSegment.member_id)
                .where(column == name)
                .order_by(MemberSegment.member_id)
            )
        )
    ids = list(
        dict.fromkeys(
            x.strip() for x in member_ids_text.replace(",", "\n").splitlines() if x.strip()
        )
    )
    if not ids:
        raise BatchError("Give at least one member id.", "member_ids")
    found = set(session.scalars(select(Member.id).where(Member.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise BatchError("Unknown member ids: {ids}", "member_ids", ids=", ".join(missing[:10]))
    return ids


@use_case
def issue_batch(
    uow: SqlUnitOfWork,
    spec: BatchSpec,
    audience: Audience,
    *,
    actor: str,
    now: dt.datetime,
) -> VoucherBatch:
    """Issue a batch to ``audience`` as one transaction.

    :raises BatchError: an unknown segment or member ids, an empty audience or a bad spec.
    """
    members: list[str | None]
    if audience.anonymous:
        members = [None] * audience.anonymous
    else:
        members = list(audience_members(uow.session, audience.segment, audience.member_ids_text))
    return issue(uow, spec, members, actor=actor, now=now)


def issue(
    uow: SqlUnitOfWork,
    spec: BatchSpec,
    member_ids: list[str | None],
    *,
    actor: str,
    now: dt.datetime,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> VoucherBatch:
    """Write one voucher per entry of ``member_ids`` (``None``: not tied to a member)."""
    session = uow.session
    if not member_ids:
        raise BatchError("Nobody to issue to: the audience is empty.", "audience")
    if len(member_ids) > MAX_BATCH:
        raise BatchError("At most {n} vouchers per batch.", "audience", n=MAX_BATCH)
    if spec.valid_until <= spec.valid_from:
        raise BatchError("The end must be on or after the start.", "valid_until")
    if spec.percent is not None and not Decimal(0) < spec.percent <= 100:
        raise BatchError("A percentage is between 0 and 100.", "value")
    batch_id = "VB" + now.strftime("%y%m%d") + secrets.token_hex(3).upper()
    codes: set[str] = set()
    for n, member_id in enumerate(member_ids, start=1):
        code = make_voucher_code(random_bytes(8))
        while code in codes or session.scalar(select(func.count()).where(Voucher.code == code)):
            code = make_voucher_code(random_bytes(8))  # 60 bits: a repeat is all but impossible
        codes.add(code)
        session.add(
            Voucher(
                voucher_id=f"{batch_id}-{n:05d}",
                code=code,
                name=spec.name,
                percent=spec.percent,
                amount=spec.amount,
                min_subtotal=spec.min_subtotal,
                valid_from=spec.valid_from,
                valid_until=spec.valid_until,
                max_uses=spec.max_uses,
                store_ids=None,
                member_id=member_id,
                campaign_id=batch_id,
                void=False,
                accepted_sale_ids=[],
                created_at=now,
            )
        )
    audience_doc = {
        "members": len([m for m in member_ids if m]),
        "anonymous": len([m for m in member_ids if m is None]),
    }
    batch = VoucherBatch(
        id=batch_id,
        name=spec.name,
        audience=audience_doc,
        count=len(member_ids),
        created_at=now,
        created_by=actor,
    )
    session.add(batch)
    uow.audit_change(
        actor,
        "voucher.batch.issue",
        "voucher_batch",
        batch_id,
        before=None,
        after={
            "name": spec.name,
            "count": len(member_ids),
            "percent": _s(spec.percent),
            "amount": _s(spec.amount),
            "valid_from": spec.valid_from.isoformat(),
            "valid_until": spec.valid_until.isoformat(),
            **audience_doc,
        },
    )
    return batch


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def batch_vouchers(session: Session, batch_id: str) -> list[Voucher]:
    return list(
        session.scalars(
            select(Voucher).where(Voucher.campaign_id == batch_id).order_by(Voucher.voucher_id)
        )
    )


def codes_csv(vouchers: list[Voucher]) -> str:
    """``voucher_id,code,member_id,valid_from,valid_until,max_uses,uses,amount,percent,
    min_subtotal`` with a header row; the code printed in groups of four as on vouchers, the
    value as exact decimals (``12.50``; the column that does not apply is empty)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "voucher_id",
            "code",
            "member_id",
            "valid_from",
            "valid_until",
            "max_uses",
            "uses",
            "amount",
            "percent",
            "min_subtotal",
        ]
    )
    for v in vouchers:
        pretty = "-".join(v.code[i : i + 4] for i in range(0, len(v.code), 4))
        w.writerow(
            [
                v.voucher_id,
                pretty,
                v.member_id or "",
                v.valid_from.isoformat(),
                v.valid_until.isoformat(),
                v.max_uses or "",
                len(v.accepted_sale_ids),
                _s(v.amount) or "",
                _s(v.percent) or "",
                _s(v.min_subtotal) or "",
            ]
        )
    return out.getvalue()


def batch_uses(session: Session, batch_id: str) -> list[VoucherUseRow]:
    stmt = (
        select(VoucherUseRow)
        .join(Voucher, Voucher.voucher_id == VoucherUseRow.voucher_id)
        .where(Voucher.campaign_id == batch_id)
        .order_by(VoucherUseRow.used_at.desc())
    )
    return list(session.scalars(stmt.limit(500)))


def list_batches(session: Session) -> list[tuple[VoucherBatch, int]]:
    uses = (
        select(Voucher.campaign_id, func.count(VoucherUseRow.event_id).label("n"))
        .join(VoucherUseRow, VoucherUseRow.voucher_id == Voucher.voucher_id)
        .group_by(Voucher.campaign_id)
        .subquery()
    )
    stmt = select(VoucherBatch, func.coalesce(uses.c.n, 0)).outerjoin(
        uses, uses.c.campaign_id == VoucherBatch.id
    )
    return [(b, int(n)) for b, n in session.execute(stmt.order_by(VoucherBatch.created_at.desc()))]
