"""What offline tills and wrong clocks do is listed, never stored silently (defect: two offline
tills overdrew a member to -1,854 points, a till 3 h behind took an expired voucher, 16 sales
dated in the future were stored, and in a voucher conflict the slow clock won)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from loyalty.rewards.voucher_codes import make_voucher_code
from server import clock
from server.db import new_session
from server.models import TillIssue, Voucher, VoucherConflict
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher

from .conftest import Till, push_approved, register_till

HOUR = dt.timedelta(hours=1)


def _issues(app: Flask, kind: str) -> list[TillIssue]:
    with new_session(app) as s:
        return list(s.scalars(select(TillIssue).where(TillIssue.kind == kind)))


def _push(till: Till, events: list[dict[str, Any]], till_clock: dt.datetime | None) -> Any:
    headers = dict(till.headers)
    if till_clock is not None:
        headers["X-Tillclub-Clock"] = till_clock.isoformat()
    r = till.client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["rejected"] == [], body
    return body


def _earn(till: Till, member: str, points: str, at: dt.datetime) -> dict[str, Any]:
    entry = till.entry(member, points, effective_at=at)
    return till.header("ledger_entry", at) | {"entry": entry}


def _redeem(till: Till, member: str, points: str, at: dt.datetime) -> dict[str, Any]:
    entry = till.entry(member, f"-{points}", kind="redeem", effective_at=at)
    return till.header("ledger_entry", at) | {"entry": entry}


def test_two_offline_tills_overdrawing_a_member_are_listed(app: Flask, client: FlaskClient) -> None:
    now = clock.now()
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Maria")
    a, b = register_till(app, client), register_till(app, client, name="PDV 2")
    push_approved(a, [_earn(a, "m1", "3000", now - 2 * HOUR)])  # a till may not grant it alone
    # both offline, each sees 3,000 and lets the member redeem 2,500
    _push(a, [_redeem(a, "m1", "2500", now - HOUR)], now)
    assert _issues(app, "overdraft") == []  # 500 left: nothing to say
    body = _push(b, [_redeem(b, "m1", "2500", now - HOUR)], now)
    (issue,) = _issues(app, "overdraft")
    assert issue.detail["member_id"] == "m1"
    assert issue.detail["currency"] == "points"
    assert Decimal(issue.detail["balance"]) == -2000
    assert issue.detail["terminals"] == sorted([a.terminal_id, b.terminal_id])
    assert {"code": "till_overdraft", "currency": "points"} in body["flags"]
    # still negative after another redemption: one row, the latest balance
    _push(b, [_redeem(b, "m1", "100", now)], now)
    (issue,) = _issues(app, "overdraft")
    assert Decimal(issue.detail["balance"]) == -2100


def test_sales_dated_in_the_future_are_listed_one_by_one(app: Flask, till: Till) -> None:
    now = clock.now()
    events = [till.sale(None, ["10.00"], at=now + dt.timedelta(minutes=11 + i)) for i in range(16)]
    events.append(till.sale(None, ["10.00"], at=now + dt.timedelta(minutes=5)))  # within 10 min
    body = _push(till, events, None)
    assert len(body["applied"]) == 17
    future = _issues(app, "future")
    assert len(future) == 16
    assert {i.ref for i in future} == {e["event_id"] for e in events[:16]}
    assert all(i.skew_seconds is not None and i.skew_seconds > 600 for i in future)
    _push(till, events, None)  # re-sent: nothing doubles
    assert len(_issues(app, "future")) == 16


def test_a_clock_set_back_and_a_till_clock_off_are_listed(app: Flask, till: Till) -> None:
    now = clock.now()
    first = till.sale(None, ["1.00"], at=now - dt.timedelta(minutes=5))
    back = till.sale(None, ["1.00"], at=now - 2 * HOUR)  # sold after `first`, dated 2 h earlier
    _push(till, [first, back], now - 3 * HOUR)
    (issue,) = _issues(app, "backwards")
    assert issue.ref == back["event_id"]
    (skewed,) = _issues(app, "till_clock")
    assert skewed.terminal_id == till.terminal_id
    assert skewed.skew_seconds is not None
    assert abs(skewed.skew_seconds + 3 * 3600) < 60
    _push(till, [till.sale(None, ["1.00"], at=now)], now - 3 * HOUR)
    assert len(_issues(app, "till_clock")) == 1  # one row per terminal and hour


CODES = {name: make_voucher_code(bytes([i + 1]) * 8) for i, name in enumerate(
    ("EXPIRED", "LATER", "GOOD", "ONCE")
)}  # fmt: skip


def _voucher(app: Flask, name: str, start: dt.datetime, end: dt.datetime) -> str:
    voucher_id = f"v-{name}"
    add_voucher(
        SqlUnitOfWork.for_app(app),
        voucher_id,
        CODES[name],
        amount=Decimal("5.00"),
        valid_from=start,
        valid_until=end,
    )
    return voucher_id


def _use(till: Till, name: str, at: dt.datetime) -> list[dict[str, Any]]:
    sale = till.sale(None, ["20.00"], at=at)
    use = till.header("voucher_use", at) | {"voucher_code": CODES[name], "sale_id": sale["sale_id"]}
    return [sale, use]


def test_vouchers_used_outside_validity_by_server_time_are_listed(app: Flask, till: Till) -> None:
    now = clock.now()
    _voucher(app, "EXPIRED", now - 48 * HOUR, now - HOUR)
    _voucher(app, "LATER", now + HOUR, now + 48 * HOUR)
    _voucher(app, "GOOD", now - 48 * HOUR, now + 48 * HOUR)
    # 3 h behind: the till's "now - 3 h" is before the expiry, the server's time is not
    _push(till, _use(till, "EXPIRED", now - 3 * HOUR), now - 3 * HOUR)
    # 6 h ahead: the till's "now + 6 h" is inside validity, the server's time is before it
    _push(till, _use(till, "LATER", now + 6 * HOUR), now + 6 * HOUR)
    # an offline till with a good clock, pushing a day late: its use was in time
    _push(till, _use(till, "GOOD", now - 24 * HOUR), now)
    found = {i.detail["voucher_id"]: i.detail["why"] for i in _issues(app, "voucher_validity")}
    assert found == {"v-EXPIRED": "expired", "v-LATER": "not_yet_valid"}


def test_in_a_voucher_conflict_the_slow_clock_does_not_win(app: Flask, client: FlaskClient) -> None:
    now = clock.now()
    voucher_id = _voucher(app, "ONCE", now - 48 * HOUR, now + 48 * HOUR)
    good, slow = register_till(app, client), register_till(app, client, name="PDV slow")
    first, first_use = _use(good, "ONCE", now - dt.timedelta(minutes=1))
    _push(good, [first, first_use], now)
    # the slow till (3 h behind) uses it later; its timestamp says hours earlier
    late, late_use = _use(slow, "ONCE", now - 3 * HOUR)
    _push(slow, [late, late_use], now - 3 * HOUR)
    with new_session(app) as s:
        voucher = s.scalars(select(Voucher).where(Voucher.voucher_id == voucher_id)).one()
        (conflict,) = s.scalars(select(VoucherConflict))
    assert voucher.accepted_sale_ids == [first["sale_id"]]
    assert conflict.sale_id == late["sale_id"]
    assert conflict.winners == [first["sale_id"]]
