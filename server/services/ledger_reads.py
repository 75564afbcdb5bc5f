"""Members' ledger entries read in batches, as ``loyalty`` entries, for the ledger's jobs.

One query per batch of members (the ``(member_id, currency)`` index), only the columns an
entry has, converted explicitly to :class:`loyalty.rewards.LedgerEntry` (never mapped).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.rewards import Currency, EntryKind, LedgerEntry

from ..models import LedgerEntryRow

_T = LedgerEntryRow.__table__
_COLUMNS = (
    "entry_id",
    "member_id",
    "currency",
    "kind",
    "amount",
    "effective_at",
    "available_at",
    "expires_at",
    "sale_id",
    "rule_id",
    "store_id",
    "terminal_id",
    "reverses",
    "reason",
)
_CURRENCIES = {c.value: c for c in Currency}
_KINDS = {k.value: k for k in EntryKind}
_ONE = Decimal(1)
_CENT = Decimal("0.01")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_SET = object.__setattr__
_FIELDS = _COLUMNS  # LedgerEntry's fields, in this order


def trusted_entry(values: Sequence[Any]) -> LedgerEntry:
    """A :class:`LedgerEntry` from a stored row's values (``_COLUMNS`` order, enums already
    converted), without re-running the checks its ingest ran: the jobs read millions, and
    the checks cost more than the fold. ``tests/server/test_expiry_job.py`` pins that it
    equals the checked constructor."""
    e = object.__new__(LedgerEntry)
    for name, value in zip(_FIELDS, values, strict=True):
        _SET(e, name, value)
    _SET(e, "sort_micros", (values[5] - _EPOCH) // _MICRO)
    return e


# PostgreSQL: read through the driver, converting in SQL (timestamps to UTC-aware, hundredths
# to numeric): SQLAlchemy's per-value type processing would cost more than the whole fold.
_PG_SQL = (
    "SELECT entry_id, member_id, currency, kind, amount, "
    + ", ".join(f"{c} AT TIME ZONE 'UTC'" for c in ("effective_at", "available_at", "expires_at"))
    + ", sale_id, rule_id, store_id, terminal_id, reverses, reason "
    "FROM ledger_entries WHERE member_id = ANY(%s)"
)


def _pg_rows(session: Session, member_ids: Sequence[str]) -> Iterable[Sequence[Any]]:
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(_PG_SQL, (list(member_ids),))
        yield from cur.fetchall()


def _orm_rows(session: Session, member_ids: Sequence[str]) -> Iterable[Sequence[Any]]:
    stmt = select(*(_T.c[name] for name in _COLUMNS)).where(_T.c.member_id.in_(member_ids))
    return session.execute(stmt)


def entries_by_member(session: Session, member_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
    """Every entry of ``member_ids``, by member (members with none are absent)."""
    out: dict[str, list[LedgerEntry]] = defaultdict(list)
    if not member_ids:
        return out
    pg = session.get_bind().dialect.name == "postgresql"
    rows = _pg_rows(session, member_ids) if pg else _orm_rows(session, member_ids)
    currencies, kinds, one, cent = _CURRENCIES, _KINDS, _ONE, _CENT
    points = Currency.POINTS
    for r in rows:
        v = list(r)
        currency = v[2] = currencies[v[2]]
        v[3] = kinds[v[3]]
        if pg:  # integer hundredths, straight from the driver (the Cents storage)
            v[4] = Decimal(v[4] // 100) if currency is points else Decimal(v[4]).scaleb(-2)
        else:
            v[4] = v[4].quantize(one if currency is points else cent)
        out[v[1]].append(trusted_entry(v))
    return out


def entry_row(
    entry: LedgerEntry, recorded_at: object, event_id: str | None = None
) -> dict[str, object]:
    """The ``ledger_entries`` row of an entry: a till's (``event_id``: the event it came in)
    or one a job made (no event: the server made it)."""
    return {
        "entry_id": entry.entry_id,
        "member_id": entry.member_id,
        "currency": entry.currency.value,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "effective_at": entry.effective_at,
        "available_at": entry.available_at,
        "expires_at": entry.expires_at,
        "sale_id": entry.sale_id,
        "rule_id": entry.rule_id,
        "store_id": entry.store_id,
        "terminal_id": entry.terminal_id,
        "reverses": entry.reverses,
        "reason": entry.reason,
        "event_id": event_id,
        "recorded_at": recorded_at,
    }
