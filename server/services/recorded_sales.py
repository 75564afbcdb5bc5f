"""A stored sale (``sales`` + ``sale_lines`` rows) back into the ``SaleRecorded`` it came from.

Only what pricing reads is restored (header, member, lines with brand and tags, the member
context, the voucher codes are not kept in rows): ``loyalty.pricing.sale_inputs`` then turns
it into pricing inputs exactly as for a pushed sale. Rows recorded before revision
``ruleset_0001`` have no brand, tags or member context, and come back without them.
"""

from __future__ import annotations

from collections.abc import Iterable

from loyalty.events import EventHeader, SaleLine, SaleRecorded

from ..models import Sale
from ..models import SaleLine as SaleLineRow


def recorded_sale(row: Sale, lines: Iterable[SaleLineRow]) -> SaleRecorded:
    """The sale event of ``row`` and its ``lines`` (in any order)."""
    return SaleRecorded(
        header=EventHeader(row.event_id, row.store_id, row.terminal_id, row.occurred_at),
        sale_id=row.sale_id,
        member_id=row.member_id,
        currency=row.currency,
        subtotal=row.subtotal,
        discount_total=row.discount_total,
        total=row.total,
        lines=tuple(
            SaleLine(
                line_no=ln.line_no,
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                gross=ln.gross,
                discount=ln.discount,
                net=ln.net,
                category_id=ln.category_id,
                brand=ln.brand,
                tags=tuple(str(t) for t in ln.tags or ()),
            )
            for ln in sorted(lines, key=lambda x: x.line_no)
        ),
        member_context=row.member_context,
        coupon_codes=tuple(row.coupon_codes or ()),
    )
