"""The expiry job's set-based batch (PostgreSQL) writes exactly what the Python fold writes.

Random ledgers of a few members: points and cashback earnings with and without expiries,
cashback pending or matured, redemptions naming their lot (before or after it, within it or
beyond it, another member's) and naming none, refunds (negative, naming the earning) and
positive reversals, adjustments of either sign, expiries and maturity markers an earlier run
wrote. The job is run from the same rows once folding every member in Python and once with
the set-based batch (which leaves the members it cannot decide to the fold), at two moments,
with a random batch size: the entries (every column but the change number), the set of change
numbers, the counter, ``ledger_due`` and the run's report must be equal. On SQLite both runs
fold in Python (the flag is ignored there), which pins that too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from loyalty.rewards import Currency, EntryKind, LedgerEntry
from loyalty.rewards.derived_ids import EXPIRE_TAG, MATURE_TAG, derived_entry_id
from loyalty.rewards.ids import make_entry_id
from server.db import new_session
from server.models import JobCursor, LedgerDue, LedgerEntryRow
from server.models.sync import ChangeCounter
from server.services.bulk import insert_rows
from server.services.expiry import run_expiry
from server.services.ledger_reads import entry_row

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
MEMBERS = ("M1", "M2")

_earning = st.fixed_dictionaries(
    {
        "member": st.sampled_from(MEMBERS),
        "cashback": st.booleans(),
        "amount": st.integers(1, 500),
        "day": st.integers(0, 30),
        "expires": st.none() | st.integers(1, 60),  # days after earning
        "matures": st.none() | st.integers(0, 30),  # cashback: days after earning
        "kind": st.sampled_from(["earn", "earn", "earn", "reverse", "adjust"]),
    }
)
# A negative entry: which lot it names (an index into the earnings, or none), how much, when.
_draw = st.fixed_dictionaries(
    {
        "member": st.sampled_from(MEMBERS),
        "lot": st.none() | st.integers(0, 5),
        "own_member": st.integers(0, 9),  # 0: keep the member drawn; else the lot's member
        "amount": st.integers(1, 400),
        "day": st.none() | st.integers(0, 45),  # None: the lot's own moment (a tie)
        "early_id": st.booleans(),  # at a tie, an id that sorts before the lot's
        "kind": st.sampled_from(["redeem", "redeem", "redeem", "reverse", "adjust", "expire"]),
    }
)


def _ledger(earnings: list[dict[str, Any]], draws: list[dict[str, Any]]) -> list[LedgerEntry]:
    out: list[LedgerEntry] = []
    seq = 0

    def next_id(terminal: str = "PDV-01") -> str:
        nonlocal seq
        seq += 1
        return make_entry_id("LOJA-01", terminal, seq)

    lots: list[LedgerEntry] = []
    for e in earnings:
        currency = Currency.CASHBACK if e["cashback"] else Currency.POINTS
        amount = Decimal(e["amount"]).scaleb(-2) if e["cashback"] else Decimal(e["amount"])
        at = T0 + e["day"] * DAY
        matures = e["matures"]
        made = LedgerEntry(
            entry_id=next_id(), member_id=e["member"], currency=currency,
            kind=EntryKind(e["kind"]), amount=amount, effective_at=at,
            expires_at=None if e["expires"] is None else at + e["expires"] * DAY,
            available_at=at + matures * DAY if e["cashback"] and matures is not None else None,
            sale_id=f"S-{seq}" if seq % 2 else None,
            # A positive reversal (a tender given back) names the redemption it undoes.
            reverses=make_entry_id("LOJA-01", "PDV-09", seq) if e["kind"] == "reverse" else None,
        )  # fmt: skip
        lots.append(made)
        out.append(made)
        if made.available_at is not None and seq % 3 == 0:  # an earlier run's marker
            out.append(_marker(made))
    for d in draws:
        lot: LedgerEntry | None = None
        if d["lot"] is not None:
            lot = lots[d["lot"] % len(lots)]
        kind = EntryKind(d["kind"])
        if kind in (EntryKind.EXPIRE, EntryKind.REVERSE) and lot is None:
            kind = EntryKind.REDEEM
        member = lot.member_id if lot is not None and d["own_member"] else d["member"]
        currency = lot.currency if lot is not None else Currency.POINTS
        cashback = currency is Currency.CASHBACK
        amount = -(Decimal(d["amount"]).scaleb(-2) if cashback else Decimal(d["amount"]))
        if kind is EntryKind.EXPIRE:
            # As an earlier run wrote it: the derived id, dated at the lot's expiry.
            assert lot is not None
            at = lot.expires_at or lot.effective_at
            entry_id = derived_entry_id(EXPIRE_TAG, lot.entry_id)
        else:
            at = lot.effective_at if d["day"] is None and lot else T0 + (d["day"] or 0) * DAY
            entry_id = next_id("PDV-00" if d["early_id"] else "PDV-02")
        out.append(LedgerEntry(
            entry_id=entry_id, member_id=member, currency=currency, kind=kind,
            amount=amount, effective_at=at,
            reverses=lot.entry_id if lot is not None else None,
            expires_at=lot.expires_at if lot is not None else None,
        ))  # fmt: skip
    unique = {e.entry_id: e for e in out}  # a repeated prior expiry counts once
    return list(unique.values())


def _lot(day: int, expires: int) -> dict[str, Any]:
    return {"member": "M1", "cashback": False, "amount": 100, "day": day, "expires": expires,
            "matures": None, "kind": "earn"}  # fmt: skip


def _named(lot: int, amount: int, *, day: int | None, early_id: bool = False) -> dict[str, Any]:
    return {"member": "M1", "lot": lot, "own_member": 1, "amount": amount, "day": day,
            "kind": "redeem", "early_id": early_id}  # fmt: skip


def _marker(lot: LedgerEntry) -> LedgerEntry:
    assert lot.available_at is not None
    return LedgerEntry(
        entry_id=derived_entry_id(MATURE_TAG, lot.entry_id), member_id=lot.member_id,
        currency=Currency.CASHBACK, kind=EntryKind.MATURE, amount=Decimal("0.00"),
        effective_at=lot.available_at, reverses=lot.entry_id, reason="matured",
    )  # fmt: skip


def _load(app: Flask, entries: list[LedgerEntry]) -> None:
    with new_session(app) as s, s.begin():
        for table in (LedgerEntryRow, LedgerDue, JobCursor):
            s.execute(delete(table))
        rows = [entry_row(e, T0) for e in entries]
        for i, row in enumerate(rows, start=1):
            row["change_seq"] = i
        insert_rows(s, LedgerEntryRow.__table__, rows)  # type: ignore[arg-type]
        s.execute(update(ChangeCounter).values(value=len(rows)))


def _state(app: Flask) -> tuple[Any, ...]:
    t = LedgerEntryRow.__table__
    with new_session(app) as s:
        cols = [c for c in t.c if c.name != "change_seq"]
        entries = [tuple(r) for r in s.execute(select(*cols).order_by(t.c.entry_id))]
        seqs = sorted(s.scalars(select(t.c.change_seq)))
        due = [tuple(r) for r in s.execute(select(LedgerDue.member_id, LedgerDue.due_at))]
        return entries, seqs, sorted(due), s.get_one(ChangeCounter, 1).value


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    earnings=st.lists(_earning, min_size=1, max_size=6),
    draws=st.lists(_draw, max_size=10),
    days=st.tuples(st.integers(0, 90), st.integers(0, 60)),
    batch=st.integers(1, 4),
)
@example(  # a draw beyond its lot: the fold takes the rest from the next lot, first-out
    earnings=[_lot(0, 10), _lot(0, 60)],
    draws=[_named(0, 150, day=5)],
    days=(20, 50),
    batch=2,
)
@example(  # a draw at its lot's moment with an id sorting first: the fold draws it first-out
    earnings=[_lot(5, 10), _lot(0, 60)],
    draws=[_named(0, 40, day=None, early_id=True)],
    days=(20, 50),
    batch=1,
)
def test_the_set_based_batch_equals_the_python_fold(
    app: Flask,
    earnings: list[dict[str, Any]],
    draws: list[dict[str, Any]],
    days: tuple[int, int],
    batch: int,
) -> None:
    ledger = _ledger(earnings, draws)
    first, later = T0 + days[0] * DAY, T0 + (days[0] + days[1]) * DAY
    runs = []
    for set_based in (False, True):
        _load(app, ledger)
        seen = []
        for at in (first, later):
            report = run_expiry(app, at, batch, set_based=set_based)
            seen.append((report.processed, report.changed, report.detail, _state(app)))
        runs.append(seen)
    assert runs[0] == runs[1]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # the batch is PostgreSQL's
def test_the_common_ledger_is_decided_in_sql_and_a_hard_member_folded(app: Flask) -> None:
    """A member whose every draw names its lot is written by the statement; a redemption that
    names no lot sends its member to the fold; both get their expiries, once."""
    from server.services import expiry_sql

    lot = LedgerEntry(
        entry_id=make_entry_id("LOJA-01", "PDV-01", 1), member_id="M1",
        currency=Currency.POINTS, kind=EntryKind.EARN, amount=Decimal(100),
        effective_at=T0, expires_at=T0 + 30 * DAY,
    )  # fmt: skip
    named = LedgerEntry(
        entry_id=make_entry_id("LOJA-01", "PDV-01", 2), member_id="M1",
        currency=Currency.POINTS, kind=EntryKind.REDEEM, amount=Decimal(-40),
        effective_at=T0 + DAY, reverses=lot.entry_id,
    )  # fmt: skip
    other = LedgerEntry(
        entry_id=make_entry_id("LOJA-01", "PDV-01", 3), member_id="M2",
        currency=Currency.POINTS, kind=EntryKind.EARN, amount=Decimal(50),
        effective_at=T0, expires_at=T0 + 30 * DAY,
    )  # fmt: skip
    unnamed = LedgerEntry(
        entry_id=make_entry_id("LOJA-01", "PDV-01", 4), member_id="M2",
        currency=Currency.POINTS, kind=EntryKind.REDEEM, amount=Decimal(-10),
        effective_at=T0 + DAY,
    )  # fmt: skip
    _load(app, [lot, named, other, unnamed])
    hard: list[frozenset[str]] = []
    real = expiry_sql.expire_batch

    def spy(*args: Any) -> expiry_sql.SqlBatch:
        done = real(*args)
        hard.append(done.hard)
        return done

    expiry_sql_batch = "server.services.expiry.expire_batch"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(expiry_sql_batch, spy)
        report = run_expiry(app, T0 + 40 * DAY, 10)
    assert hard == [frozenset({"M2"})]
    assert report.detail["expired"] == 2
    assert report.detail["points_expired"] == "100"  # 60 of M1's lot, 40 of M2's
    assert run_expiry(app, T0 + 40 * DAY, 10).changed == 0


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    earnings=st.lists(_earning, min_size=1, max_size=6),
    draws=st.lists(_draw, max_size=10),
    days=st.tuples(st.integers(0, 90), st.integers(0, 60)),
    batch=st.integers(1, 4),
)
def test_walking_by_member_writes_what_walking_by_due_moment_writes(
    app: Flask,
    earnings: list[dict[str, Any]],
    draws: list[dict[str, Any]],
    days: tuple[int, int],
    batch: int,
) -> None:
    """The walk in member order (a night when most members are due) and in due order visit
    the same members: the same entries, set of change numbers, counter, ``ledger_due`` and
    report (on PostgreSQL set-based, on SQLite folded)."""
    ledger = _ledger(earnings, draws)
    first, later = T0 + days[0] * DAY, T0 + (days[0] + days[1]) * DAY
    runs = []
    for by_member in (False, True):
        _load(app, ledger)
        seen = []
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("server.services.expiry._most_due", lambda *_, walk=by_member: walk)
            for at in (first, later):
                report = run_expiry(app, at, batch)
                seen.append((report.processed, report.changed, report.detail, _state(app)))
        runs.append(seen)
    assert runs[0] == runs[1]
