"""What went wrong between the tills and the server, for head office to follow up.

Three read-only lists, newest first, over a period and the stores the user may see:

- voucher conflicts: a voucher used past its limit by offline tills; the settlement
  (``loyalty.rewards.voucher_settlement``) kept the earliest uses and each use past the limit
  is one row, shown with the uses that won. A conflict belongs to every store involved, the
  losing use's or a winning use's, so both managers see it.
- rejected events: the last rejection of each event id, with the store of the terminal that
  pushed it and whether the event was applied on a later push.
- re-price mismatches: sales the server re-priced to other figures than the till's.
- till issues (``till_issues``, written after each push by ``ingest_clock``): events dated in
  the future or going back, a till whose clock is off the server's, vouchers used outside
  their validity by the server's time, and members overdrawn by offline tills.

The period is when the server found the issue (detected, last rejected, received), so a till
that was offline for days still brings its issues to the top. Voucher codes are masked to
their last four characters everywhere, CSV included: the voucher id is enough to look one up.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import (
    AppliedEvent,
    RejectedEvent,
    Sale,
    Terminal,
    TillIssue,
    Voucher,
    VoucherConflict,
    VoucherUseRow,
)
from ..models.sales import RepriceStatus

LISTS = ("conflicts", "rejected", "reprice", "till")
CSV_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Scope:
    start: dt.datetime
    end: dt.datetime  # exclusive
    stores: frozenset[str] | None  # None: every store


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Use:
    sale_id: str
    store_id: str | None  # None: the use row is not (or no longer) on the server
    terminal_id: str | None
    used_at: dt.datetime | None


@dataclass(frozen=True)
class ConflictRow:
    voucher_id: str
    masked_code: str
    reason: str
    loser: Use
    winners: tuple[Use, ...]
    detected_at: dt.datetime


@dataclass(frozen=True)
class RejectedRow:
    event_id: str
    terminal_id: str
    store_id: str | None
    code: str
    message: str
    attempts: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    applied_later: bool


@dataclass(frozen=True)
class RepriceRow:
    sale_id: str
    store_id: str
    terminal_id: str
    till_total: Decimal
    server_total: Decimal
    differences: tuple[str, ...]  # which figures differ: subtotal, total, lines, points, ...
    occurred_at: dt.datetime
    recorded_at: dt.datetime


def mask_code(code: str) -> str:
    """``****`` and the last four characters; short codes are hidden whole."""
    return "****" + code[-4:] if len(code) > 4 else "****"


# --- voucher conflicts -------------------------------------------------------------------


def _conflicts_stmt(scope: Scope) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(VoucherConflict, Voucher.code)
        .join(Voucher, Voucher.voucher_id == VoucherConflict.voucher_id)
        .where(VoucherConflict.detected_at >= scope.start, VoucherConflict.detected_at < scope.end)
    )
    if scope.stores is not None:
        use, other = aliased(VoucherUseRow), aliased(VoucherConflict)
        # A use of the voucher that is not itself a conflict is one the settlement accepted.
        won_here = exists().where(
            use.voucher_id == VoucherConflict.voucher_id,
            use.store_id.in_(scope.stores),
            ~exists().where(other.voucher_id == use.voucher_id, other.sale_id == use.sale_id),
        )
        stmt = stmt.where(or_(VoucherConflict.store_id.in_(scope.stores), won_here))
    return stmt.order_by(VoucherConflict.detected_at.desc(), VoucherConflict.id.desc())


def _conflict_rows(s: Session, found: Sequence[Any]) -> list[ConflictRow]:
    voucher_ids = {c.voucher_id for c, _code in found}
    uses = (
        {
            (u.voucher_id, u.sale_id): u
            for u in s.scalars(
                select(VoucherUseRow).where(VoucherUseRow.voucher_id.in_(voucher_ids))
            )
        }
        if voucher_ids
        else {}
    )

    def use(voucher_id: str, sale_id: str) -> Use:
        row = uses.get((voucher_id, sale_id))
        if row is None:
            return Use(sale_id, None, None, None)
        return Use(sale_id, row.store_id, row.terminal_id, row.used_at)

    return [
        ConflictRow(
            voucher_id=c.voucher_id,
            masked_code=mask_code(code),
            reason=c.reason,
            loser=Use(c.sale_id, c.store_id, c.terminal_id, c.used_at),
            winners=tuple(use(c.voucher_id, str(w)) for w in c.winners),
            detected_at=c.detected_at,
        )
        for c, code in found
    ]


def conflicts(s: Session, scope: Scope, page: int = 1, per_page: int = 25) -> Page:
    return _page(s, _conflicts_stmt(scope), page, per_page, lambda rows: _conflict_rows(s, rows))


# --- rejected events ---------------------------------------------------------------------


def _rejected_stmt(scope: Scope) -> Select[*tuple[Any, ...]]:
    # applied later by the same terminal: a till's attempt at another's event id stays open
    applied = exists().where(
        AppliedEvent.event_id == RejectedEvent.event_id,
        AppliedEvent.terminal_id == RejectedEvent.terminal_id,
    )
    stmt = (
        select(RejectedEvent, Terminal.store_id, applied)
        .outerjoin(Terminal, Terminal.id == RejectedEvent.terminal_id)
        .where(RejectedEvent.last_seen_at >= scope.start, RejectedEvent.last_seen_at < scope.end)
    )
    if scope.stores is not None:
        stmt = stmt.where(Terminal.store_id.in_(scope.stores))
    return stmt.order_by(RejectedEvent.last_seen_at.desc(), RejectedEvent.event_id)


def _rejected_rows(found: Sequence[Any]) -> list[RejectedRow]:
    return [
        RejectedRow(
            event_id=r.event_id,
            terminal_id=r.terminal_id,
            store_id=store_id,
            code=r.code,
            message=r.message,
            attempts=r.attempts,
            first_seen_at=r.first_seen_at,
            last_seen_at=r.last_seen_at,
            applied_later=bool(applied),
        )
        for r, store_id, applied in found
    ]


def rejected(s: Session, scope: Scope, page: int = 1, per_page: int = 25) -> Page:
    return _page(s, _rejected_stmt(scope), page, per_page, _rejected_rows)


# --- re-price mismatches -----------------------------------------------------------------


def _reprice_stmt(scope: Scope) -> Select[*tuple[Any, ...]]:
    stmt = select(Sale).where(
        Sale.reprice_status == RepriceStatus.MISMATCH,
        Sale.recorded_at >= scope.start,
        Sale.recorded_at < scope.end,
    )
    if scope.stores is not None:
        stmt = stmt.where(Sale.store_id.in_(scope.stores))
    return stmt.order_by(Sale.recorded_at.desc(), Sale.sale_id)


def _decimal(value: Any, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return default


def _reprice_rows(found: Sequence[Any]) -> list[RepriceRow]:
    rows = []
    for (sale,) in found:
        differences = dict((sale.reprice_detail or {}).get("differences") or {})
        total = differences.get("total") or {}
        rows.append(
            RepriceRow(
                sale_id=sale.sale_id,
                store_id=sale.store_id,
                terminal_id=sale.terminal_id,
                # the total is only in the detail when it differs; otherwise both agree
                till_total=_decimal(total.get("till", sale.total), sale.total),
                server_total=_decimal(total.get("server", sale.total), sale.total),
                differences=tuple(sorted(differences)),
                occurred_at=sale.occurred_at,
                recorded_at=sale.recorded_at,
            )
        )
    return rows


def reprice(s: Session, scope: Scope, page: int = 1, per_page: int = 25) -> Page:
    return _page(s, _reprice_stmt(scope), page, per_page, _reprice_rows)


# --- till issues: clocks, validity, overdrafts ------------------------------------------


@dataclass(frozen=True)
class TillRow:
    kind: str  # ingest_clock.KINDS
    store_id: str
    terminal_id: str
    ref: str
    occurred_at: dt.datetime | None
    received_at: dt.datetime
    skew_seconds: int | None
    detail: dict[str, Any]


def _till_stmt(scope: Scope) -> Select[*tuple[Any, ...]]:
    stmt = select(TillIssue).where(
        TillIssue.received_at >= scope.start, TillIssue.received_at < scope.end
    )
    if scope.stores is not None:
        stmt = stmt.where(TillIssue.store_id.in_(scope.stores))
    return stmt.order_by(TillIssue.received_at.desc(), TillIssue.id.desc())


def _till_rows(found: Sequence[Any]) -> list[TillRow]:
    return [
        TillRow(
            i.kind,
            i.store_id,
            i.terminal_id,
            i.ref,
            i.occurred_at,
            i.received_at,
            i.skew_seconds,
            dict(i.detail or {}),
        )
        for (i,) in found
    ]


def till(s: Session, scope: Scope, page: int = 1, per_page: int = 25) -> Page:
    return _page(s, _till_stmt(scope), page, per_page, _till_rows)


def _detail(row: TillRow) -> str:
    d = row.detail
    if row.kind == "overdraft":
        return f"{d.get('member_id')} {d.get('currency')} {d.get('balance')}"
    if row.kind == "voucher_validity":
        return f"{d.get('voucher_id')} {d.get('why')} at {d.get('estimated_at')}"
    if row.kind == "refund_reversal":
        return (
            f"{d.get('currency')} {d.get('reverses')} sent {d.get('sent')} "
            f"applied {d.get('applied')} {d.get('why')}"
        )
    return ""


# --- shared ------------------------------------------------------------------------------


def _page(
    s: Session,
    stmt: Select[*tuple[Any, ...]],
    page: int,
    per_page: int,
    build: Callable[[Sequence[Any]], list[Any]],
) -> Page:
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = s.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return Page(build(found), total, page, per_page)


def _text(value: str | None) -> str:
    """A cell a spreadsheet will not run: text from tills may start with ``=``, ``+``, ..."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value or ""


def _when(value: dt.datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _joined(values: Iterable[str | None]) -> str:
    return ";".join(v or "" for v in values)


# (header, cell) per column of each CSV; every cell goes through ``_text``.
_COLUMNS: dict[str, tuple[tuple[str, Callable[[Any], str | None]], ...]] = {
    "conflicts": (
        ("detected_at", lambda c: _when(c.detected_at)),
        ("voucher_id", lambda c: c.voucher_id),
        ("voucher_code", lambda c: c.masked_code),
        ("reason", lambda c: c.reason),
        ("losing_sale_id", lambda c: c.loser.sale_id),
        ("losing_store_id", lambda c: c.loser.store_id),
        ("losing_terminal_id", lambda c: c.loser.terminal_id),
        ("losing_used_at", lambda c: _when(c.loser.used_at)),
        ("winning_sale_ids", lambda c: _joined(w.sale_id for w in c.winners)),
        ("winning_store_ids", lambda c: _joined(w.store_id for w in c.winners)),
        ("winning_terminal_ids", lambda c: _joined(w.terminal_id for w in c.winners)),
        ("winning_used_at", lambda c: _joined(_when(w.used_at) for w in c.winners)),
    ),
    "rejected": (
        ("last_seen_at", lambda r: _when(r.last_seen_at)),
        ("event_id", lambda r: r.event_id),
        ("terminal_id", lambda r: r.terminal_id),
        ("store_id", lambda r: r.store_id),
        ("code", lambda r: r.code),
        ("message", lambda r: r.message),
        ("attempts", lambda r: str(r.attempts)),
        ("first_seen_at", lambda r: _when(r.first_seen_at)),
        ("applied_later", lambda r: "yes" if r.applied_later else "no"),
    ),
    "reprice": (
        ("recorded_at", lambda r: _when(r.recorded_at)),
        ("sale_id", lambda r: r.sale_id),
        ("store_id", lambda r: r.store_id),
        ("terminal_id", lambda r: r.terminal_id),
        ("occurred_at", lambda r: _when(r.occurred_at)),
        ("till_total", lambda r: f"{r.till_total:.2f}"),
        ("server_total", lambda r: f"{r.server_total:.2f}"),
        ("differences", lambda r: ";".join(r.differences)),
    ),
    "till": (
        ("received_at", lambda r: _when(r.received_at)),
        ("kind", lambda r: r.kind),
        ("store_id", lambda r: r.store_id),
        ("terminal_id", lambda r: r.terminal_id),
        ("ref", lambda r: r.ref),
        ("till_time", lambda r: _when(r.occurred_at)),
        ("skew_seconds", lambda r: "" if r.skew_seconds is None else str(r.skew_seconds)),
        ("detail", _detail),
    ),
}


def to_csv(s: Session, scope: Scope, name: str) -> str:
    """One list in full (up to ``CSV_MAX_ROWS``), newest first, times in UTC ISO 8601.

    :raises KeyError: for a name not in ``LISTS``.
    """
    columns = _COLUMNS[name]
    if name == "conflicts":
        found = s.execute(_conflicts_stmt(scope).limit(CSV_MAX_ROWS)).all()
        rows: list[Any] = _conflict_rows(s, found)
    elif name == "rejected":
        rows = _rejected_rows(s.execute(_rejected_stmt(scope).limit(CSV_MAX_ROWS)).all())
    elif name == "till":
        rows = _till_rows(s.execute(_till_stmt(scope).limit(CSV_MAX_ROWS)).all())
    else:
        rows = _reprice_rows(s.execute(_reprice_stmt(scope).limit(CSV_MAX_ROWS)).all())
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([header for header, _cell in columns])
    w.writerows([_text(cell(row)) for _header, cell in columns] for row in rows)
    return out.getvalue()
