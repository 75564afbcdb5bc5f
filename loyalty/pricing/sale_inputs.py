"""A recorded sale back into the inputs it was priced with, for re-pricing it elsewhere.

The server's re-pricing and the campaign simulation both price a :class:`SaleRecorded` again;
this is the one place that says how: lines in ``line_no`` order with their sku, quantity,
unit price, category, brand and tags; the member context the till priced with
(``member_context``, which carries the coupons presented, in ``parse_member`` form); the
voucher codes and rule coupons presented; the store and the moment of the sale (``occurred_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..events import SaleLine, SaleRecorded
from ..money import Money
from .basket import BasketLine, MemberContext, parse_member


@dataclass(frozen=True, slots=True)
class PricingInputs:
    """What :func:`loyalty.pricing.price` needs besides the rule sets and vouchers."""

    basket: tuple[BasketLine, ...]
    member: MemberContext | None
    store_id: str
    at: datetime
    voucher_codes: tuple[str, ...]
    coupons: tuple[str, ...] = ()  # rule coupon codes presented at the till


def pricing_inputs(sale: SaleRecorded) -> PricingInputs:
    """The inputs the till priced ``sale`` with (see the module docstring).

    :raises BasketError: a line or member context the engine refuses (naming the field).
    """
    basket = tuple(
        _line(line, sale.currency) for line in sorted(sale.lines, key=lambda x: x.line_no)
    )
    member: MemberContext | None = None
    if sale.member_id is not None:
        context = dict(sale.member_context or {})
        context["id"] = sale.member_id
        member = parse_member(context)
    return PricingInputs(
        basket,
        member,
        sale.header.store_id,
        sale.header.occurred_at,
        sale.voucher_codes,
        sale.coupon_codes,
    )


def _line(line: SaleLine, currency: str) -> BasketLine:
    qty = line.quantity
    # A stored quantity may carry trailing zeros ("2.000"): a whole one is a counted line.
    qty = qty.to_integral_value() if qty == qty.to_integral_value() else qty.normalize()
    return BasketLine(
        sku=line.sku,
        qty=Decimal(qty),
        unit_price=Money(line.unit_price, currency),
        category=line.category_id or "",
        brand=line.brand or "",
        tags=frozenset(line.tags),
    )
