"""A full refund pushed by a till gives back the voucher use of its sale: the single-use voucher
is valid again and tills re-pull it; replaying the refund or a partial refund changes nothing.
Runs on SQLite and PostgreSQL (the ``db_url`` fixture)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from loyalty.rewards.voucher_codes import format_code, make_voucher_code
from server.db import new_session
from server.models import Voucher, VoucherConflict, VoucherUseRow
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher

from .conftest import T0, Till, register_till

CODE = make_voucher_code(b"\x03" * 8)


@pytest.fixture
def voucher(app: Flask) -> str:
    add_voucher(
        SqlUnitOfWork.for_app(app),
        "V1",
        CODE,
        amount=Decimal("10.00"),
        valid_from=T0 - dt.timedelta(days=1),
        valid_until=T0 + dt.timedelta(days=30),
    )
    return CODE


def _sale_with_voucher(till: Till, at: dt.datetime) -> list[dict[str, Any]]:
    sale = till.sale(None, ["30.00"], at=at)
    use = till.header("voucher_use", at) | {
        "voucher_code": format_code(CODE),
        "sale_id": sale["sale_id"],
    }
    return [sale, use]


def _refund(till: Till, sale_id: str, amount: str, restored: list[str] | None) -> dict[str, Any]:
    event = till.header("refund", T0 + dt.timedelta(minutes=1)) | {
        "refund_id": till.refund_id(),
        "sale_id": sale_id,
        "amount": amount,
    }
    if restored is not None:
        event["restored_vouchers"] = restored
    return event


def _voucher_state(app: Flask) -> tuple[list[Any], int, list[tuple[str, Any, Any]]]:
    with new_session(app) as s:
        v = s.get_one(Voucher, "V1")
        uses = [
            (u.sale_id, u.restored_at, u.restored_by)
            for u in s.scalars(select(VoucherUseRow).order_by(VoucherUseRow.used_at))
        ]
        return list(v.accepted_sale_ids), v.change_seq, uses


def test_full_refund_makes_the_voucher_usable_again_once(
    app: Flask, client: FlaskClient, voucher: str
) -> None:
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")
    sale, use = _sale_with_voucher(a, T0)
    a.push([sale, use])
    accepted, seq_used, _ = _voucher_state(app)
    assert accepted == [sale["sale_id"]]
    _, cursor = b.pull_all()

    refund = _refund(a, sale["sale_id"], "30.00", ["V1"])
    answer = a.push([refund])
    assert answer["applied"] == [refund["event_id"]]
    assert not answer["rejected"]
    accepted, seq_restored, uses = _voucher_state(app)
    assert accepted == []
    assert seq_restored > seq_used
    [(sale_id, restored_at, restored_by)] = uses
    assert (sale_id, restored_by) == (sale["sale_id"], refund["refund_id"])
    assert restored_at is not None
    # Tills re-pull the voucher and learn the sale no longer holds it.
    changes, _ = b.pull_all(cursor)
    assert [c["data"]["accepted_sale_ids"] for c in changes if c["type"] == "voucher"] == [[]]

    # Replaying the refund (alone, or with its sale) changes nothing.
    assert a.push([refund])["applied"] == [refund["event_id"]]
    assert a.push([sale, use, refund])["flags"] == []
    assert _voucher_state(app) == (accepted, seq_restored, uses)

    # Another till may now use the single-use voucher: it stands, no conflict.
    later, later_use = _sale_with_voucher(b, T0 + dt.timedelta(hours=1))
    assert b.push([later, later_use])["flags"] == []
    assert _voucher_state(app)[0] == [later["sale_id"]]
    with new_session(app) as s:
        assert s.scalars(select(VoucherConflict)).all() == []


def test_sale_use_and_full_refund_in_one_batch(app: Flask, till: Till, voucher: str) -> None:
    sale, use = _sale_with_voucher(till, T0)
    refund = _refund(till, sale["sale_id"], "30.00", ["V1"])
    answer = till.push([sale, use, refund])
    assert len(answer["applied"]) == 3
    assert not answer["rejected"]
    accepted, _, [(_, restored_at, restored_by)] = _voucher_state(app)
    assert accepted == []
    assert restored_at is not None
    assert restored_by == refund["refund_id"]


def test_a_partial_refund_restores_nothing(app: Flask, till: Till, voucher: str) -> None:
    sale, use = _sale_with_voucher(till, T0)
    till.push([sale, use])
    before = _voucher_state(app)
    partial = _refund(till, sale["sale_id"], "10.00", None)
    assert till.push([partial])["applied"] == [partial["event_id"]]
    assert _voucher_state(app) == before
    assert before[0] == [sale["sale_id"]]


def test_a_restore_naming_another_voucher_or_sale_touches_nothing(
    app: Flask, till: Till, voucher: str
) -> None:
    sale, use = _sale_with_voucher(till, T0)
    other = till.sale(None, ["30.00"])
    till.push([sale, use, other])
    before = _voucher_state(app)
    wrong = [
        _refund(till, sale["sale_id"], "30.00", ["V-UNKNOWN"]),
        _refund(till, other["sale_id"], "30.00", ["V1"]),
    ]
    answer = till.push(wrong)
    assert len(answer["applied"]) == 2
    assert not answer["rejected"]
    assert _voucher_state(app) == before


def test_a_malformed_restore_list_is_rejected(till: Till) -> None:
    sale = till.sale(None, ["30.00"])
    bad = _refund(till, sale["sale_id"], "30.00", ["V1", "V1"])
    answer = till.push([sale, bad])
    assert answer["applied"] == [sale["event_id"]]
    [rejected] = answer["rejected"]
    assert rejected["event_id"] == bad["event_id"]
    assert "restored_vouchers" in rejected["message"]


def test_the_refund_event_carries_restored_vouchers_only_when_set() -> None:
    from loyalty.events import EventHeader, RefundRecorded, event_from_dict

    header = EventHeader("V:S:T:000000000001", "S", "T", T0)
    old = RefundRecorded(header, "RF-1", "SALE-1", Decimal("5.00"))
    assert "restored_vouchers" not in old.to_dict()  # as older agents send it
    assert event_from_dict(old.to_dict()) == old
    new = RefundRecorded(header, "RF-1", "SALE-1", Decimal("5.00"), restored_vouchers=("V1",))
    assert new.to_dict()["restored_vouchers"] == ["V1"]
    assert event_from_dict(new.to_dict()) == new


def test_a_use_that_arrives_after_its_full_refund_is_restored_on_arrival(
    app: Flask, client: FlaskClient, voucher: str
) -> None:
    """GIVEN a sale and its full refund applied, the voucher use held back (rejected once and
    re-sent later) WHEN the use finally arrives THEN it is restored at once: the voucher is
    valid again, and another till's later use stands without a conflict."""
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")
    sale, use = _sale_with_voucher(a, T0)
    refund = _refund(a, sale["sale_id"], "30.00", ["V1"])
    assert len(a.push([sale, refund])["applied"]) == 2
    assert a.push([use])["applied"] == [use["event_id"]]
    accepted, _, [(sale_id, restored_at, restored_by)] = _voucher_state(app)
    assert accepted == []
    assert (sale_id, restored_by) == (sale["sale_id"], refund["refund_id"])
    assert restored_at is not None
    later, later_use = _sale_with_voucher(b, T0 + dt.timedelta(hours=1))
    assert b.push([later, later_use])["flags"] == []
    assert _voucher_state(app)[0] == [later["sale_id"]]
    with new_session(app) as s:
        assert s.scalars(select(VoucherConflict)).all() == []
    assert a.push([use])["applied"] == [use["event_id"]]  # a replay changes nothing
    assert _voucher_state(app)[0] == [later["sale_id"]]
