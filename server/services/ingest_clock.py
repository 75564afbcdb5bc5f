"""After a push: what a till did with a wrong clock or offline, written down for Sync issues.

Called once per push, after the batch is applied (``server/api/events.py``), in its own
transaction: bookkeeping never undoes or delays applied events. It reads only the applied
events of the push (their wire dicts: no second parse) and the server's time of receipt:

- ``future``: an event dated more than ``clock_skew_minutes`` after the server received it
  (no till sells in the future: its clock is ahead);
- ``backwards``: an event dated more than ``clock_skew_minutes`` before an earlier event of the
  same push (the outbox sends oldest first, so the till's clock was set back);
- ``till_clock``: the clock the till sends with the push (``X-Tillclub-Clock``) differs from
  the server's by more than ``clock_skew_minutes``; one row per terminal and hour;
- ``voucher_validity``: a voucher used outside ``valid_from``–``valid_until`` by the server's
  reckoning of when the sale happened: the till's time corrected by the till's measured clock
  error (``X-Tillclub-Clock``), or, without one, the till's time but never later than receipt.
  A till 3 h behind that takes a voucher expired an hour ago, or 6 h ahead that takes one not
  yet valid, is listed even though its own clock said the voucher was good;
- ``overdraft``: a member of the push whose points or cashback balance is below zero (two
  offline tills redeeming the same balance); one row per member and currency, refreshed while
  it stays negative.

Re-sent events find their rows already there (unique ``kind`` + ``ref``): nothing doubles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.rewards.voucher_codes import normalize_code

from ..models import LedgerEntryRow, TillIssue, Voucher
from .terminals import TerminalIdentity
from .uow import SqlUnitOfWork, use_case

KINDS = ("future", "backwards", "till_clock", "voucher_validity", "overdraft")
CLOCK_HEADER = "X-Tillclub-Clock"


@dataclass(frozen=True)
class Finding:
    kind: str
    ref: str
    occurred_at: dt.datetime | None
    skew_seconds: int | None
    detail: dict[str, Any]

    def flag(self) -> dict[str, Any]:
        """The line for the push answer's ``flags`` (what the till may show or log)."""
        return {"code": f"till_{self.kind}" if self.kind != "till_clock" else "till_clock"} | {
            k: v for k, v in self.detail.items() if k in ("event_id", "skew_seconds", "currency")
        }


def parse_clock(value: str | None) -> dt.datetime | None:
    """The till's clock from its header: an aware ISO 8601 time, else ``None`` (ignored)."""
    if not value or len(value) > 40:
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return at.astimezone(dt.UTC) if at.tzinfo is not None else None


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.astimezone(dt.UTC) if at.tzinfo is not None else None


def _overdrawn_candidates(raw: Mapping[str, Any]) -> set[str]:
    """Members of the event's entries that take something away: only a negative entry can
    take a balance below zero (a push of earnings alone costs no query)."""
    entries = raw.get("ledger_entries")
    listed = list(entries) if isinstance(entries, list) else []
    if isinstance(raw.get("entry"), dict):
        listed.append(raw["entry"])
    found = set()
    for entry in listed:
        if not isinstance(entry, dict):
            continue
        member, amount = entry.get("member_id"), entry.get("amount")
        if isinstance(member, str) and member and isinstance(amount, str) and amount[:1] == "-":
            found.add(member)
    return found


def _codes(raw: Mapping[str, Any]) -> list[str]:
    codes = raw.get("voucher_codes") if raw.get("type") == "sale" else [raw.get("voucher_code")]
    return [c for c in codes if isinstance(c, str)] if isinstance(codes, list) else []


def clock_findings(
    who: TerminalIdentity,
    applied: Sequence[Mapping[str, Any]],
    received_at: dt.datetime,
    till_clock: dt.datetime | None,
    threshold: dt.timedelta,
) -> list[Finding]:
    """The ``future``, ``backwards`` and ``till_clock`` findings of one push (pure)."""
    found: list[Finding] = []
    latest: dt.datetime | None = None
    for raw in applied:
        event_id, at = str(raw.get("event_id")), _when(raw.get("occurred_at"))
        if at is None:
            continue
        ahead = at - received_at
        if ahead > threshold:
            seconds = int(ahead.total_seconds())
            found.append(
                Finding(
                    "future",
                    event_id,
                    at,
                    seconds,
                    {"event_id": event_id, "skew_seconds": seconds},
                )
            )
        if latest is not None and latest - at > threshold:
            back = int((at - latest).total_seconds())
            found.append(
                Finding(
                    "backwards",
                    event_id,
                    at,
                    back,
                    {"event_id": event_id, "after": latest.isoformat(), "skew_seconds": back},
                )
            )
        latest = at if latest is None else max(latest, at)
    if till_clock is not None:
        skew = till_clock - received_at
        if abs(skew) > threshold:
            seconds = int(skew.total_seconds())
            found.append(
                Finding(
                    "till_clock",
                    f"{who.terminal_id}@{received_at:%Y-%m-%dT%H}",
                    till_clock,
                    seconds,
                    {"skew_seconds": seconds},
                )
            )
    return found


def _voucher_findings(
    s: Session,
    applied: Sequence[Mapping[str, Any]],
    received_at: dt.datetime,
    till_skew: dt.timedelta | None,
) -> list[Finding]:
    uses: list[tuple[str, str, dt.datetime]] = []
    for raw in applied:
        at = _when(raw.get("occurred_at"))
        if at is None:
            continue
        for code in _codes(raw):
            try:
                uses.append((str(raw.get("event_id")), normalize_code(code), at))
            except LoyaltyError:
                continue
    if not uses:
        return []
    vouchers = {
        v.code: v
        for v in s.scalars(select(Voucher).where(Voucher.code.in_({c for _e, c, _a in uses})))
    }
    found = []
    for event_id, code, at in uses:
        voucher = vouchers.get(code)
        if voucher is None:
            continue
        # When the sale happened by the server's clock: the till's time corrected by the till's
        # measured error, or without a measure the till's time, never later than receipt.
        estimated = at - till_skew if till_skew is not None else min(at, received_at)
        if voucher.valid_from <= estimated <= voucher.valid_until:
            continue
        found.append(
            Finding(
                "voucher_validity",
                f"{event_id}:{voucher.voucher_id}",
                at,
                None if till_skew is None else int(till_skew.total_seconds()),
                {
                    "event_id": event_id,
                    "voucher_id": voucher.voucher_id,
                    "estimated_at": estimated.isoformat(),
                    "valid_from": voucher.valid_from.isoformat(),
                    "valid_until": voucher.valid_until.isoformat(),
                    "why": "expired" if estimated > voucher.valid_until else "not_yet_valid",
                },
            )
        )
    return found


def _overdrafts(s: Session, members: Iterable[str]) -> list[Finding]:
    wanted = sorted(set(members))
    if not wanted:
        return []
    sums = s.execute(
        select(LedgerEntryRow.member_id, LedgerEntryRow.currency, func.sum(LedgerEntryRow.amount))
        .where(LedgerEntryRow.member_id.in_(wanted))
        .group_by(LedgerEntryRow.member_id, LedgerEntryRow.currency)
        .having(func.sum(LedgerEntryRow.amount) < 0)
    ).all()
    found = []
    for member_id, currency, total in sums:
        balance = Decimal(total)
        terminals = sorted(
            t
            for t in s.scalars(
                select(LedgerEntryRow.terminal_id)
                .where(
                    LedgerEntryRow.member_id == member_id,
                    LedgerEntryRow.currency == currency,
                    LedgerEntryRow.amount < 0,
                    LedgerEntryRow.terminal_id.is_not(None),
                )
                .distinct()
            )
            if t
        )
        found.append(
            Finding(
                "overdraft",
                f"{member_id}:{currency}",
                None,
                None,
                {
                    "member_id": member_id,
                    "currency": currency,
                    "balance": f"{balance:f}",
                    "terminals": terminals,
                },
            )
        )
    return found


def record_push(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    raw_events: Sequence[Any],
    applied_ids: Iterable[str],
    *,
    received_at: dt.datetime,
    till_clock: dt.datetime | None,
    threshold: dt.timedelta,
) -> list[Finding]:
    """Write this push's findings (see the module docstring); returns the new ones.

    A push with nothing to look up (no voucher used, no negative entry) and no clock finding
    opens no transaction at all: the common push of sales that earn costs a scan of its dicts.
    """
    ids = set(applied_ids)
    applied = [
        r
        for r in raw_events
        if isinstance(r, dict) and isinstance(r.get("event_id"), str) and r["event_id"] in ids
    ]
    findings = clock_findings(who, applied, received_at, till_clock, threshold)
    members: set[str] = set()
    vouchers_used = False
    for raw in applied:
        members |= _overdrawn_candidates(raw)
        vouchers_used = vouchers_used or bool(_codes(raw))
    if not findings and not members and not vouchers_used:
        return []
    till_skew = None if till_clock is None else till_clock - received_at
    return _record(uow, who, applied, findings, members, received_at, till_skew)


@use_case
def _record(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    applied: Sequence[Mapping[str, Any]],
    findings: list[Finding],
    members: set[str],
    received_at: dt.datetime,
    till_skew: dt.timedelta | None,
) -> list[Finding]:
    s = uow.session
    findings = findings + _voucher_findings(s, applied, received_at, till_skew)
    findings += _overdrafts(s, members)
    if not findings:
        return []
    known = {
        (row.kind, row.ref): row
        for row in s.scalars(select(TillIssue).where(TillIssue.ref.in_({f.ref for f in findings})))
    }
    new = []
    written: set[tuple[str, str]] = set()
    for f in findings:
        row = known.get((f.kind, f.ref))
        if row is not None:
            if f.kind == "overdraft":  # still negative: the latest balance and time
                row.detail, row.received_at = f.detail, received_at
            continue
        if (f.kind, f.ref) in written:  # the same event twice in one push
            continue
        written.add((f.kind, f.ref))
        s.add(
            TillIssue(
                kind=f.kind,
                terminal_id=who.terminal_id,
                store_id=who.store_id,
                ref=f.ref[:160],
                occurred_at=f.occurred_at,
                received_at=received_at,
                skew_seconds=f.skew_seconds,
                detail=f.detail,
            )
        )
        new.append(f)
    return new
