"""Voucher expiry: vouchers past their validity are marked once, sync again, and the rest stay.

Run twice = run once: the second run changes nothing and hands out no change number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.jobs.contract import JobContext
from server.models import Voucher
from server.models.sync import current_seq
from server.services.uow import SqlUnitOfWork
from server.services.voucher_expiry import expire_vouchers
from server.services.vouchers import add_voucher

from .conftest import T0, Till

NOW = T0 + dt.timedelta(days=30)


def voucher(app: Flask, vid: str, until: dt.datetime, void: bool = False) -> None:
    add_voucher(
        SqlUnitOfWork.for_app(app), vid, f"CODE{vid}", amount=Decimal("5.00"),
        valid_from=T0 - dt.timedelta(days=60), valid_until=until,
    )  # fmt: skip
    if void:
        with new_session(app) as s, s.begin():
            s.get_one(Voucher, vid).void = True


def state(app: Flask) -> dict[str, tuple[dt.datetime | None, int]]:
    with new_session(app) as s:
        return {v.voucher_id: (v.expired_at, v.change_seq) for v in s.scalars(select(Voucher))}


def test_marks_past_vouchers_expired_in_batches_and_keeps_the_rest(app: Flask) -> None:
    for i in range(5):
        voucher(app, f"old{i}", NOW - dt.timedelta(days=1, minutes=i))
    voucher(app, "edge", NOW)  # valid until this very instant: not yet past
    voucher(app, "future", NOW + dt.timedelta(days=1))
    voucher(app, "void", NOW - dt.timedelta(days=2), void=True)
    before = state(app)
    report = expire_vouchers(JobContext(app, NOW, 2, "p"))
    assert (report.processed, report.changed) == (5, 5)
    after = state(app)
    assert {v for v, (at, _seq) in after.items() if at is not None} == {f"old{i}" for i in range(5)}
    assert all(after[f"old{i}"][0] == NOW for i in range(5))
    # the expired rows got new change numbers (tills re-pull them); the others did not move
    assert all(after[f"old{i}"][1] > before[f"old{i}"][1] for i in range(5))
    assert all(after[v] == before[v] for v in ("edge", "future", "void"))


def test_running_twice_is_running_once(app: Flask) -> None:
    voucher(app, "old", NOW - dt.timedelta(hours=1))
    expire_vouchers(JobContext(app, NOW, 10, "p"))
    once = state(app)
    with new_session(app) as s:
        seq = current_seq(s)
    again = expire_vouchers(JobContext(app, NOW + dt.timedelta(hours=1), 10, "p"))
    assert (again.processed, again.changed) == (0, 0)
    assert state(app) == once
    with new_session(app) as s:
        assert current_seq(s) == seq


def test_the_till_receives_the_expired_voucher(app: Flask, till: Till) -> None:
    voucher(app, "old", NOW - dt.timedelta(hours=1))
    _changes, cursor = till.pull_all()
    expire_vouchers(JobContext(app, NOW, 10, "p"))
    changes, _cursor = till.pull_all(cursor)
    (change,) = [c for c in changes if c["type"] == "voucher"]
    assert change["data"]["voucher_id"] == "old"
    assert change["data"]["expired_at"] == NOW.isoformat()
