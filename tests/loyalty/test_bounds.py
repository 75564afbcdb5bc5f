"""The upper bounds' config keys and messages (``loyalty.bounds``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.bounds import Bounds, OutOfBounds


def test_bounds_from_config_keys() -> None:
    b = Bounds.from_config({"max_unit_price_brl": "2500.00", "max_lines": 50})
    assert (b.unit_price, b.lines, b.sale_total) == (Decimal("2500.00"), 50, Bounds().sale_total)
    for bad in ({"max_unit_price_brl": 2.5}, {"max_lines": 0}, {"max_cpf": "1"},
                {"max_sale_total_brl": "1e400"}, {"max_quantity": "NaN"}):  # fmt: skip
        with pytest.raises(ValueError, match="max_"):
            Bounds.from_config(bad)
    message = OutOfBounds("line 1: unit_price", Decimal("9" * 60), Decimal(1), "linha 1: preço")
    assert "60 characters" in message.message_en
    assert message.message_pt.startswith("linha 1: preço")
