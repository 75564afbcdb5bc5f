"""Two offline tills use the same single-use voucher: settled the same way whatever the order
of the pushes, and the losing use is listed for head office (the sale itself stands)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from loyalty.rewards.voucher_codes import format_code, make_voucher_code
from server.db import new_session
from server.models import Sale, Voucher, VoucherConflict, VoucherUseRow
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher

from .conftest import T0, Till, register_till

CODE = make_voucher_code(b"\x01" * 8)


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


def _use(till: Till, code: str, at: dt.datetime) -> tuple[dict[str, object], dict[str, object]]:
    sale = till.sale(None, ["30.00"], at=at)
    use = till.header("voucher_use", at) | {
        "voucher_code": format_code(code),
        "sale_id": sale["sale_id"],
    }
    return sale, use


@pytest.mark.parametrize("first", ["early", "late"])
def test_the_use_received_first_wins_whatever_the_till_clocks_say(
    app: Flask, client: FlaskClient, voucher: str, first: str
) -> None:
    """The server's receipt order settles a conflict, not the tills' timestamps: ranked by
    till time, a till whose clock is slow would win every conflict (docs/sync-protocol.md)."""
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-02", "PDV 2")
    a_events = _use(a, voucher, T0)
    b_events = _use(b, voucher, T0 + dt.timedelta(minutes=5))  # dated later by its till
    pushes = [(a, list(a_events)), (b, list(b_events))]
    if first == "late":
        pushes.reverse()
    (_winner, (won_sale, _)), (loser, (lost_sale, _)) = pushes
    answers = [till.push(events) for till, events in pushes]
    assert all(len(ans["applied"]) == 2 and not ans["rejected"] for ans in answers)
    with new_session(app) as s:
        v = s.get_one(Voucher, "V1")
        assert v.accepted_sale_ids == [won_sale["sale_id"]]
        conflicts = s.scalars(select(VoucherConflict)).all()
        assert [(c.sale_id, c.terminal_id, c.winners, c.reason) for c in conflicts] == [
            (lost_sale["sale_id"], loser.terminal_id, [won_sale["sale_id"]], "already_used")
        ]
        assert s.get(Sale, lost_sale["sale_id"]) is not None  # the paid sale stands
        assert len(s.scalars(select(VoucherUseRow)).all()) == 2
    # agents learn the outcome through the voucher record
    changes, _ = a.pull_all()
    vouchers = [c["data"] for c in changes if c["type"] == "voucher"]
    assert vouchers[-1]["accepted_sale_ids"] == [won_sale["sale_id"]]
    # re-sending either batch changes nothing
    for till, events in pushes:
        assert till.push(events)["flags"] == []
    with new_session(app) as s:
        assert len(s.scalars(select(VoucherConflict)).all()) == 1
        assert s.get_one(Voucher, "V1").accepted_sale_ids == [won_sale["sale_id"]]


def test_the_loser_is_flagged_in_the_push_answer(
    app: Flask, client: FlaskClient, voucher: str
) -> None:
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")
    early_sale, early_use = _use(a, voucher, T0)
    assert a.push([early_sale, early_use])["flags"] == []
    late_sale, late_use = _use(b, voucher, T0 + dt.timedelta(hours=1))
    answer = b.push([late_sale, late_use])
    assert answer["flags"] == [
        {
            "code": "voucher_conflict",
            "voucher_id": "V1",
            "sale_id": late_sale["sale_id"],
            "winners": [early_sale["sale_id"]],
        }
    ]


def test_an_unknown_voucher_code_is_rejected(till: Till) -> None:
    sale, use = _use(till, make_voucher_code(b"\x02" * 8), T0)
    answer = till.push([sale, use])
    assert answer["applied"] == [sale["event_id"]]
    assert answer["rejected"][0]["code"] == "unknown_voucher"
