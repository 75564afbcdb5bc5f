"""The advance-notice job: the members whose points or cashback expire within
``EXPIRY_NOTICE_DAYS``, stored for the messages feature; run twice it leaves the same list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.db import new_session
from server.jobs.contract import JobContext
from server.models import ExpiryNotice
from server.services.expiry import expire_and_mature
from server.services.expiry_notice import list_expiry_notices, notice_days
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from .conftest import T0, Till, push_approved, register_till

DAY = dt.timedelta(days=1)


def _ctx(app: Flask, at: dt.datetime) -> JobContext:
    return JobContext(app, at, 2, "test")


def _notices(app: Flask) -> list[tuple[str, str, dt.datetime, Decimal, bool]]:
    with new_session(app) as s:
        rows = s.scalars(select(ExpiryNotice).order_by(ExpiryNotice.member_id))
        return [(n.member_id, n.currency, n.expires_at, n.amount, n.sent_at is not None)
                for n in rows]  # fmt: skip


def _earn(till: Till, member: str, amount: str, expires: int, **kw: Any) -> dict[str, Any]:
    return till.entry(member, amount, expires_at=(T0 + expires * DAY).isoformat(), **kw)


@pytest.fixture
def till(app: Flask, client: FlaskClient) -> Till:
    for m in ("m1", "m2", "m3"):
        add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], m, m.upper())
    t = register_till(app, client)
    a = _earn(t, "m1", "100", 50)
    redeem = t.entry("m1", "-30", kind="redeem", reverses=a["entry_id"], expires_at=a["expires_at"])
    entries = [
        a,
        redeem,
        _earn(t, "m2", "7.50", 45, currency="cashback"),
        _earn(t, "m3", "100", 200),  # beyond the window
    ]
    body = push_approved(t, [t.header("ledger_entry") | {"entry": e} for e in entries])
    assert not body["rejected"], body
    return t


def test_lists_what_expires_within_the_window_once(app: Flask, till: Till) -> None:
    at = T0 + 25 * DAY  # window: (day 25, day 55]
    expire_and_mature(_ctx(app, at))  # keeps ledger_due, which the notice job reads
    report = list_expiry_notices(_ctx(app, at))
    want = [
        ("m1", "points", T0 + 50 * DAY, Decimal(70), False),  # what is left after the redemption
        ("m2", "cashback", T0 + 45 * DAY, Decimal("7.50"), False),
    ]
    assert _notices(app) == want
    assert report.detail["members"] == 2
    assert report.processed == 2  # m3 (next expiry day 200) is not read at all
    list_expiry_notices(_ctx(app, at))
    assert _notices(app) == want


def test_a_sent_notice_stays_and_a_spent_amount_leaves(app: Flask, till: Till) -> None:
    at = T0 + 25 * DAY
    expire_and_mature(_ctx(app, at))
    list_expiry_notices(_ctx(app, at))
    with new_session(app) as s:
        s.execute(update(ExpiryNotice).where(ExpiryNotice.member_id == "m2").values(sent_at=at))
        s.commit()
    list_expiry_notices(_ctx(app, at))
    assert [n[0] for n in _notices(app) if n[4]] == ["m2"]


def test_the_window_is_a_config_key_checked() -> None:
    assert notice_days({}) == 30
    assert notice_days({"EXPIRY_NOTICE_DAYS": 7}) == 7
    with pytest.raises(ValueError, match="EXPIRY_NOTICE_DAYS"):
        notice_days({"EXPIRY_NOTICE_DAYS": 0})
