"""A small in-memory loyalty port for the transport tests (the real agent is e2e-tested)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest

from loyalty.errors import LoyaltyError


class NoSale(LoyaltyError):
    code = "no_such_sale"


class FakePort:
    """Prices every unit at its shelf price minus R$ 1 club price on sku "club"."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.sales: dict[str, dict[str, Any]] = {}
        self.recorded: dict[str, dict[str, Any]] = {}

    def _log(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    def identify(self, pos_id: str, raw: str | None) -> dict[str, Any]:
        self._log("identify", pos_id, raw)
        if raw == "boom":
            raise RuntimeError("disk on fire")
        self.sales.setdefault(pos_id, {})["member"] = raw
        return {"pos_sale_id": pos_id, "member": None if raw is None else {"id": "m1"}}

    def enrol(self, pos_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        self._log("enrol", pos_id, dict(data))
        self.sales.setdefault(pos_id, {})["member"] = "m-new"
        return {"pos_sale_id": pos_id, "status": "enrolled", "member_id": "m-new"}

    def price(
        self, pos_id: str, lines: Sequence[Mapping[str, Any]], coupons: Sequence[str] = ()
    ) -> dict[str, Any]:
        self._log("price", pos_id, tuple(lines), *([tuple(coupons)] if coupons else []))
        out, total, discount = [], Decimal(0), Decimal(0)
        for i, line in enumerate(lines, 1):
            gross = Decimal(line["qty"]) * Decimal(line["unit_price"])
            cut = Decimal(line["qty"]) if line["sku"] == "club" else Decimal(0)
            discounts = (
                [{"id": "r-club", "name": "Preço Clube", "amount": f"{cut:f}"}] if cut else []
            )
            out.append({"line_no": i, "sku": line["sku"], "gross": f"{gross:.2f}",
                        "net": f"{gross - cut:.2f}", "discounts": discounts})  # fmt: skip
            total += gross - cut
            discount += cut
        answer = {
            "pos_sale_id": pos_id, "lines": out, "subtotal": f"{total + discount:.2f}",
            "discount": f"{discount:.2f}", "total": f"{total:.2f}", "amount_due": f"{total:.2f}",
            "applied": [{"id": "r-club", "name": "Preço Clube", "kind": "member_price",
                         "amount": f"{discount:.2f}"}],
        }  # fmt: skip
        self.sales.setdefault(pos_id, {})["quote"] = answer
        return answer

    def apply_voucher(self, pos_id: str, code: str) -> dict[str, Any]:
        self._log("apply_voucher", pos_id, code)
        return self._quote(pos_id)

    def apply_points(self, pos_id: str, points: int) -> dict[str, Any]:
        self._log("apply_points", pos_id, points)
        return self._quote(pos_id)

    def apply_cashback(self, pos_id: str, amount: Decimal | str) -> dict[str, Any]:
        self._log("apply_cashback", pos_id, amount)
        return self._quote(pos_id)

    def finalise(self, pos_id: str) -> dict[str, Any]:
        self._log("finalise", pos_id)
        if pos_id not in self.recorded:
            self._quote(pos_id)
            self.recorded[pos_id] = {"pos_sale_id": pos_id, "sale_id": f"S-{len(self.recorded)}"}
        return self.recorded[pos_id]

    def cancel(self, pos_id: str) -> dict[str, Any]:
        self._log("cancel", pos_id)
        self.sales.pop(pos_id, None)
        return {"pos_sale_id": pos_id, "status": "cancelled"}

    def refund(
        self, pos_refund_id: str, pos_sale_id: str, amount: Decimal | str, reason: str | None = None
    ) -> dict[str, Any]:
        self._log("refund", pos_refund_id, pos_sale_id, amount, reason)
        return {"refund_id": pos_refund_id, "amount": str(amount)}

    def _quote(self, pos_id: str) -> dict[str, Any]:
        sale = self.sales.get(pos_id)
        if not sale or "quote" not in sale:
            raise NoSale(f"no open sale {pos_id!r}", f"nenhuma venda aberta {pos_id!r}")
        quote: dict[str, Any] = sale["quote"]
        return quote


@pytest.fixture
def port() -> FakePort:
    return FakePort()


def slip_of(port: FakePort) -> Any:
    return lambda sale: f"SLIP {sale}" if sale in port.recorded else None
