"""The request contract shared by every transport."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.dispatch import Dispatcher

from .conftest import FakePort, slip_of


def _basket(d: Dispatcher, sale: str = "s1", **extra: Any) -> dict[str, Any]:
    lines = [{"sku": "club", "qty": "2", "unit_price": "5.00"}]
    return d.handle({"operation": "price", "sale_id": sale, "lines": lines, **extra})


def test_a_whole_sale(port: FakePort) -> None:
    d = Dispatcher(port, slip_of(port))
    assert d.handle({"operation": "identify", "sale_id": "s1", "code": "TC42"})["ok"]
    assert _basket(d)["result"]["total"] == "8.00"
    assert d.handle({"operation": "apply_points", "sale_id": "s1", "points": 100})["ok"]
    assert d.handle({"operation": "finalise", "sale_id": "s1"})["result"]["sale_id"] == "S-0"
    assert d.handle({"operation": "slip", "sale_id": "s1"})["result"]["text"] == "SLIP s1"


def test_presented_coupons_reach_the_port_as_one_list(port: FakePort) -> None:
    d = Dispatcher(port)
    assert _basket(d, coupon="ACUCAR20", coupons=["NATAL"])["ok"]
    assert _basket(d)["ok"]
    prices = [c[1] for c in port.calls if c[0] == "price"]
    assert prices[0][2] == ("ACUCAR20", "NATAL")
    assert len(prices[1]) == 2  # no coupon: the port is called as before


def test_a_retried_operation_id_is_applied_once(port: FakePort) -> None:
    d = Dispatcher(port)
    _basket(d)
    request = {"operation": "apply_voucher", "sale_id": "s1", "code": "V1", "operation_id": "op-9"}
    first, second = d.handle(request), d.handle(request)
    assert first == second
    assert [c for c in port.calls if c[0] == "apply_voucher"] == [("apply_voucher", ("s1", "V1"))]


@pytest.mark.parametrize(
    ("request_", "code", "status", "needle"),
    [
        ({"operation": "fly", "sale_id": "s1"}, "unknown_operation", 404, "'fly'"),
        ({"operation": "price", "sale_id": "", "lines": []}, "malformed_request", 400, "sale_id"),
        ({"operation": "price", "sale_id": "s1", "lines": "x"}, "malformed_request", 400, "lines"),
        ({"operation": "apply_points", "sale_id": "s1", "points": 1.5}, "malformed_request", 400,
         "points"),
        ({"operation": "apply_points", "sale_id": "s1", "points": -1}, "malformed_request", 400,
         "points"),
        ({"operation": "apply_cashback", "sale_id": "s1", "amount": 5.5}, "malformed_request", 400,
         "amount"),
        ({"operation": "apply_cashback", "sale_id": "s1", "amount": "5.555"}, "malformed_request",
         400, "amount"),
        ({"operation": "refund", "sale_id": "s1", "amount": "1.00"}, "malformed_request", 400,
         "refund_id"),
        ({"operation": "finalise", "sale_id": "s1", "operation_id": 7}, "malformed_request", 400,
         "operation_id"),
        ({"operation": "apply_voucher", "sale_id": "nope", "code": "V"}, "no_such_sale", 404,
         "nope"),
        ({"operation": "slip", "sale_id": "nope"}, "malformed_request", 400, "nope"),
        ({"operation": "price", "sale_id": "s1", "lines": [], "coupon": 20}, "malformed_request",
         400, "coupon"),
        ({"operation": "price", "sale_id": "s1", "lines": [], "coupons": "X"},
         "malformed_request", 400, "coupons"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_clear_error_and_change_nothing(
    port: FakePort, request_: dict[str, Any], code: str, status: int, needle: str
) -> None:
    answer = Dispatcher(port, slip_of(port)).handle(request_)
    assert answer["ok"] is False
    assert (answer["error"]["code"], answer["error"]["status"]) == (code, status)
    assert needle in answer["error"]["message_en"]
    assert answer["error"]["message"] != answer["error"]["message_en"]
    assert port.recorded == {}


def test_an_internal_failure_is_a_plain_500_without_traceback(port: FakePort) -> None:
    answer = Dispatcher(port).handle({"operation": "identify", "sale_id": "s1", "code": "boom"})
    assert answer["error"]["code"] == "internal"
    assert answer["error"]["status"] == 500
    assert "disk on fire" not in str(answer)


def test_a_non_object_request_is_refused(port: FakePort) -> None:
    answer = Dispatcher(port).handle(["not", "a", "dict"])  # type: ignore[arg-type]
    assert answer["error"]["code"] == "malformed_request"
