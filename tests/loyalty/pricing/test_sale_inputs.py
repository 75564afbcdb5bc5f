"""A recorded sale back into pricing inputs: lines in line_no order with brand and tags, the
member context the till used (coupons included), the vouchers and the moment."""

from __future__ import annotations

from decimal import Decimal

from loyalty.events import EventHeader, SaleLine, SaleRecorded
from loyalty.money import Money
from loyalty.pricing.sale_inputs import pricing_inputs
from tests.loyalty.pricing.pricing_helpers import AT


def sale_line(no: int, sku: str, qty: str, **kw: object) -> SaleLine:
    return SaleLine(no, sku, Decimal(qty), Decimal("10.00"), Decimal("10.00"), Decimal(0),
                    Decimal("10.00"), **kw)  # type: ignore[arg-type]  # fmt: skip


def test_a_recorded_sale_gives_back_what_the_till_priced() -> None:
    sale = SaleRecorded(
        header=EventHeader("V:S1:T1:1", "S1", "T1", AT),
        sale_id="S:S1:T1:1",
        member_id="m1",
        currency="BRL",
        subtotal=Decimal("20.00"),
        discount_total=Decimal(0),
        total=Decimal("20.00"),
        lines=(
            sale_line(2, "QUEIJO", "0.500", category_id="frios"),
            sale_line(1, "CAFE", "2.000", category_id="cafe", brand="Pilão", tags=("promo", "br")),
        ),
        voucher_codes=("ABCD-EFGH",),
        member_context={"tier": "gold", "segments": ["vip"], "coupons": ["ACUCAR20"]},
    )
    got = pricing_inputs(sale)
    first, second = got.basket
    assert (first.sku, first.qty, first.brand, first.tags) == (
        "CAFE", Decimal(2), "Pilão", frozenset({"promo", "br"})
    )  # fmt: skip
    assert not first.is_weighed
    assert str(first.qty) == "2"
    assert (second.sku, second.qty, second.brand, second.category) == (
        "QUEIJO", Decimal("0.5"), "", "frios"
    )  # fmt: skip
    assert first.unit_price == Money("10.00")
    assert got.member is not None
    assert (got.member.id, got.member.tier, got.member.coupons) == (
        "m1", "gold", frozenset({"ACUCAR20"})
    )  # fmt: skip
    assert (got.store_id, got.at, got.voucher_codes) == ("S1", AT, ("ABCD-EFGH",))


def test_an_anonymous_sale_has_no_member() -> None:
    sale = SaleRecorded(
        header=EventHeader("V:S1:T1:2", "S1", "T1", AT),
        sale_id="S:S1:T1:2",
        member_id=None,
        currency="BRL",
        subtotal=Decimal("10.00"),
        discount_total=Decimal(0),
        total=Decimal("10.00"),
        lines=(sale_line(1, "CAFE", "1"),),
    )
    assert pricing_inputs(sale).member is None
