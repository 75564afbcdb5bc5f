"""Sale events against the upper bounds (issue 28, defect 8): refused with a code, never a crash."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from loyalty.bounds import Bounds, OutOfBounds
from loyalty.events import InvalidEvent, SaleRecorded, event_from_dict


def sale(price: str = "10.00", qty: str = "1", lines: int = 1) -> dict[str, Any]:
    gross = f"{Decimal(price) * Decimal(qty):.2f}"
    total = f"{Decimal(gross) * lines:.2f}"
    return {
        "type": "sale",
        "event_id": "V:S1:T1:000000000001",
        "store_id": "S1",
        "terminal_id": "T1",
        "occurred_at": "2026-03-04T10:00:00-03:00",
        "sale_id": "S:S1:T1:000000000001",
        "member_id": None,
        "currency": "BRL",
        "subtotal": total,
        "discount_total": "0.00",
        "total": total,
        "lines": [
            {"line_no": n, "sku": "A", "quantity": qty, "unit_price": price, "gross": gross,
             "discount": "0.00", "net": gross}
            for n in range(1, lines + 1)
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (sale("1000000.01"), "line 1: unit_price"),
        (sale("1.00", "100001"), "line 1: qty"),
        (sale("200000.00", "60"), "line 1: amount"),
        (sale("0.01", "1", 1001), "number of lines"),
        (sale("9000.00", "1000", 2), "sale total"),
    ],
)
def test_each_bound_names_its_field(event: dict[str, Any], field: str) -> None:
    with pytest.raises(OutOfBounds) as refused:
        event_from_dict(event)
    assert refused.value.code == "out_of_bounds"
    assert refused.value.field == field


def test_the_largest_sale_within_bounds_parses() -> None:
    event = SaleRecorded.from_dict(sale("1000000.00", "10"))
    assert event.total == Decimal("10000000.00")


@pytest.mark.parametrize("bad", ["1e400", "9" * 5000, "Infinity", "NaN", "-1e400"])
def test_monstrous_numbers_are_clear_errors(bad: str) -> None:
    event = sale()
    event["total"] = bad
    with pytest.raises((OutOfBounds, InvalidEvent)):
        event_from_dict(event)
    event = sale()
    event["lines"][0]["quantity"] = bad
    with pytest.raises((OutOfBounds, InvalidEvent)):
        event_from_dict(event)


def test_the_server_may_configure_tighter_bounds() -> None:
    tight = Bounds(unit_price=Decimal("500.00"))
    assert event_from_dict(sale("500.00")).header.store_id == "S1"
    with pytest.raises(OutOfBounds, match="beyond the limit of 500.00"):
        event_from_dict(sale("500.01"), tight)
