"""The expiry and maturation job against the server's database, on SQLite and PostgreSQL:
FIFO write-offs with partial redemption, maturity markers, give-backs after a late offline
redemption, only due members read, and every run twice the same as once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from loyalty.rewards import Currency, LedgerEntry, balance
from server.db import new_session
from server.jobs.contract import JobContext, JobReport
from server.models import LedgerDue, LedgerEntryRow
from server.services.expiry import expire_and_mature
from server.services.ledger_reads import entries_by_member
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from .conftest import T0, Till, push_approved, register_till

DAY = dt.timedelta(days=1)
P, CB = Currency.POINTS, Currency.CASHBACK


def _run(app: Flask, at: dt.datetime, batch: int = 2) -> JobReport:
    return expire_and_mature(JobContext(app, at, batch, "test"))


def _entries(app: Flask, member: str) -> list[LedgerEntry]:
    with new_session(app) as s:
        return entries_by_member(s, [member]).get(member, [])


def _rows(app: Flask) -> int:
    with new_session(app) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0


def _push(till: Till, *entries: dict[str, Any]) -> None:
    events = [till.header("ledger_entry") | {"entry": e} for e in entries]
    body = push_approved(till, events)
    assert not body["rejected"], body


@pytest.fixture
def till(app: Flask, client: FlaskClient) -> Till:
    for m in ("m1", "m2", "m3"):
        add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], m, m.upper())
    return register_till(app, client)


def _earn(till: Till, member: str, amount: str, day: int, expires: int, **kw: Any) -> dict:  # type: ignore[type-arg]
    return till.entry(
        member, amount, effective_at=T0 + day * DAY, expires_at=(T0 + expires * DAY).isoformat(),
        **kw,
    )  # fmt: skip


def test_oldest_lot_expires_first_and_only_what_is_left(app: Flask, till: Till) -> None:
    """
    | entry   | day | points | expires | left on day 40 | the job on day 40    |
    |---------|-----|--------|---------|----------------|----------------------|
    | earn A  | 0   | 100    | day 30  | 40             | expire -40, dated 30 |
    | earn B  | 1   | 100    | day 90  | 100            | -                    |
    | redeem  | 5   | -60    | (of A)  |                |                      |
    """
    a = _earn(till, "m1", "100", 0, 30)
    b = _earn(till, "m1", "100", 1, 90)
    redeem = till.entry(
        "m1", "-60", kind="redeem", effective_at=T0 + 5 * DAY, reverses=a["entry_id"],
        expires_at=a["expires_at"],
    )  # fmt: skip
    _push(till, a, b, redeem)
    first = _run(app, T0 + 40 * DAY)
    assert first.detail["expired"] == 1
    assert first.detail["points_expired"] == "40"
    entries = _entries(app, "m1")
    expired = [e for e in entries if e.kind.value == "expire"]
    assert [(e.amount, e.reverses, e.effective_at) for e in expired] == [
        (Decimal(-40), a["entry_id"], T0 + 30 * DAY)
    ]
    assert expired[0].entry_id.startswith("E:HQ:xp")
    assert balance(entries, P, T0 + 40 * DAY).available == 100
    count = _rows(app)
    again = _run(app, T0 + 40 * DAY)  # twice = once
    assert (again.changed, _rows(app)) == (0, count)
    # B expires on day 90: the next run after that writes off B, and nothing more later.
    assert _run(app, T0 + 91 * DAY).detail["points_expired"] == "100"
    assert balance(_entries(app, "m1"), P, T0 + 91 * DAY).available == 0
    assert _run(app, T0 + 92 * DAY).changed == 0


def test_cashback_matures_then_expires_each_written_once(app: Flask, till: Till) -> None:
    e = _earn(
        till, "m2", "5.00", 0, 120, currency="cashback", available_at=(T0 + 30 * DAY).isoformat()
    )
    _push(till, e)
    assert _run(app, T0 + 10 * DAY).changed == 0  # pending: nothing to write yet
    assert balance(_entries(app, "m2"), CB, T0 + 10 * DAY).pending == Decimal("5.00")
    done = _run(app, T0 + 31 * DAY)
    assert done.detail["matured"] == 1
    assert _run(app, T0 + 31 * DAY).changed == 0
    marker = [x for x in _entries(app, "m2") if x.kind.value == "mature"]
    assert [(m.amount, m.reverses, m.effective_at) for m in marker] == [
        (Decimal("0.00"), e["entry_id"], T0 + 30 * DAY)
    ]
    assert _run(app, T0 + 121 * DAY).detail["cashback_expired"] == "5.00"
    assert balance(_entries(app, "m2"), CB, T0 + 121 * DAY).total == 0


def test_a_late_offline_redemption_is_given_back_once(app: Flask, till: Till) -> None:
    """A (100, expires day 30) was expired whole on day 40; a redemption of 60 from A dated
    day 20 then arrives from an offline till: the next run gives those 60 back, once."""
    a = _earn(till, "m1", "100", 0, 30)
    b = _earn(till, "m1", "100", 1, 90)
    _push(till, a, b)
    _run(app, T0 + 40 * DAY)
    late = till.entry(
        "m1", "-60", kind="redeem", effective_at=T0 + 20 * DAY, reverses=a["entry_id"],
        expires_at=a["expires_at"],
    )  # fmt: skip
    _push(till, late)
    fixed = _run(app, T0 + 41 * DAY)
    assert fixed.detail["given_back"] == 1
    assert balance(_entries(app, "m1"), P, T0 + 41 * DAY).available == 100
    assert _run(app, T0 + 41 * DAY).changed == 0


def test_only_members_due_are_read(app: Flask, till: Till) -> None:
    _push(till, _earn(till, "m1", "10", 0, 30), _earn(till, "m2", "10", 0, 300))
    assert _run(app, T0 + 40 * DAY).processed == 1  # m2's lot expires on day 300
    with new_session(app) as s:
        due = {r[0]: r[1] for r in s.execute(select(LedgerDue.member_id, LedgerDue.due_at))}
    assert due == {"m1": None, "m2": T0 + 300 * DAY}
    assert _run(app, T0 + 41 * DAY).processed == 0


def test_expiries_reach_the_tills_through_the_feed(app: Flask, till: Till) -> None:
    _, cursor = till.pull_all()
    _push(till, _earn(till, "m3", "25", 0, 30))
    _run(app, T0 + 31 * DAY)
    changes, _ = till.pull_all(cursor)
    kinds = [c["data"]["kind"] for c in changes if c["type"] == "ledger_entry"]
    assert kinds == ["earn", "expire"]


def test_stored_entries_read_fast_equal_the_checked_constructor(app: Flask, till: Till) -> None:
    """The job reads stored entries without re-running the entry checks (ledger_reads):
    what it builds must equal ``LedgerEntry.from_dict`` of the same entries, field by field."""
    pushed = [
        _earn(till, "m1", "100", 0, 30, rule_id="R1"),
        _earn(
            till,
            "m1",
            "2.50",
            0,
            90,
            currency="cashback",
            available_at=(T0 + 30 * DAY).isoformat(),
            reason="promo",
        ),  # fmt: skip
    ]
    _push(till, *pushed)
    fast = sorted(_entries(app, "m1"), key=lambda e: e.entry_id)
    checked = sorted((LedgerEntry.from_dict(p) for p in pushed), key=lambda e: e.entry_id)
    assert fast == checked
    assert [e.sort_micros for e in fast] == [e.sort_micros for e in checked]
    assert [str(e.amount) for e in fast] == [str(e.amount) for e in checked]
