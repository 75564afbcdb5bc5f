"""Turn a priced sale into what the journal stores: the ``SaleRecorded`` event and the answer.

Pure functions over the pricing result; the service gives ids and time. Amounts go out as
decimal strings (never floats), as on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty.events import AppliedRule, EventHeader, SaleLine, SaleRecorded, TicketLine
from loyalty.money import Money, cents_text
from loyalty.pricing import BasketLine, PricingResult
from loyalty.rewards import LedgerEntry


def _dec(cents: int) -> Decimal:
    # The result keeps integer cents; going through Money for each of them costs more than
    # the whole durable commit at the till.
    return Decimal(cents).scaleb(-2)


_txt = cents_text


def sale_event(
    header: EventHeader,
    sale_id: str,
    member_id: str | None,
    basket: Sequence[BasketLine],
    result: PricingResult,
    voucher_codes: Sequence[str],
    entries: Sequence[LedgerEntry],
    member_context: Mapping[str, Any] | None,
) -> SaleRecorded:
    lines = []
    for line in result.lines:
        source = basket[line.position]
        lines.append(
            SaleLine(
                line_no=line.position + 1,
                sku=line.sku,
                quantity=line.qty,
                unit_price=line.unit_price.amount,
                gross=_dec(line.gross_cents),
                discount=_dec(line.gross_cents - line.net_cents),
                net=_dec(line.net_cents),
                category_id=source.category or None,
                brand=source.brand or None,
                tags=tuple(sorted(source.tags)),
            )
        )
    applied = tuple(
        AppliedRule(rule_id=a.id, kind=a.kind, amount=_dec(a.amount_cents), description=a.name)
        for a in result.applied
    )
    return SaleRecorded(
        header=header,
        sale_id=sale_id,
        member_id=member_id,
        currency="BRL",
        subtotal=_dec(result.subtotal_cents),
        discount_total=_dec(result.subtotal_cents - result.total_cents),
        total=_dec(result.total_cents),
        lines=tuple(lines),
        applied_rules=applied,
        voucher_codes=tuple(voucher_codes),
        ledger_entries=tuple(entries),
        member_context=member_context,
    )


def sale_event_wire(
    header: EventHeader,
    sale_id: str,
    member_id: str | None,
    basket: Sequence[BasketLine],
    result: PricingResult,
    voucher_codes: Sequence[str],
    entries: Sequence[LedgerEntry],
    member_context: Mapping[str, Any] | None,
    priced: Mapping[str, Any],
    tickets: Sequence[TicketLine] = (),
    coupon_codes: Sequence[str] = (),
) -> dict[str, Any]:
    """``sale_event(…).to_dict()`` with ``raffle_tickets`` and ``coupon_codes`` set, built
    straight from the result's integer cents and the amounts ``priced`` (:func:`quote` of the
    same result) already wrote.

    The finalise the POS waits for writes this once per sale: going through ``SaleLine`` and
    ``AppliedRule`` made ~60 ``Decimal`` objects only to format them back into the strings the
    quote holds. A test pins it equal to the event's own ``to_dict`` for every rule mix.
    """
    wire = header.header_dict(SaleRecorded.TYPE)
    if tickets:  # only when there are some: older servers refuse unknown keys
        wire["raffle_tickets"] = [t.to_dict() for t in tickets]
    if coupon_codes:
        wire["coupon_codes"] = list(coupon_codes)
    wire["member_context"] = None if member_context is None else dict(member_context)
    wire["sale_id"] = sale_id
    wire["member_id"] = member_id
    wire["currency"] = "BRL"
    wire["subtotal"] = priced["subtotal"]
    wire["discount_total"] = priced["discount"]
    wire["total"] = priced["total"]
    lines = []
    for line, shown in zip(result.lines, priced["lines"], strict=True):
        source = basket[line.position]
        lines.append(
            {
                "line_no": line.position + 1,
                "sku": line.sku,
                "category_id": source.category or None,
                "quantity": f"{line.qty:f}",
                "unit_price": f"{line.unit_price.amount:f}",
                "gross": shown["gross"],
                "discount": _txt(line.gross_cents - line.net_cents),
                "net": shown["net"],
                "brand": source.brand or None,
                "tags": sorted(source.tags) if source.tags else [],
            }
        )
    wire["lines"] = lines
    wire["applied_rules"] = [
        {
            "rule_id": a.id,
            "kind": a.kind,
            "amount": shown["amount"],
            "line_no": None,
            "description": a.name,
        }
        for a, shown in zip(result.applied, priced["applied"], strict=True)
    ]
    wire["voucher_codes"] = list(voucher_codes)
    wire["ledger_entries"] = [e.to_dict() for e in entries]
    return wire


def quote(
    result: PricingResult,
    points: int,
    points_value: Money,
    cashback: Money,
    names: Sequence[str | None] = (),
) -> dict[str, Any]:
    """What the POS shows before payment: totals, every discount explained, tenders, due.

    ``names`` are the catalogue's product names per basket line (``None``: not synced).
    """
    due = result.total_cents - points_value.cents - cashback.cents
    return {
        "subtotal": _txt(result.subtotal_cents),
        "discount": _txt(result.subtotal_cents - result.total_cents),
        "total": _txt(result.total_cents),
        "lines": [
            {
                "line_no": line.position + 1,
                "sku": line.sku,
                "name": names[line.position] if line.position < len(names) else None,
                "gross": _txt(line.gross_cents),
                "net": _txt(line.net_cents),
                "discounts": [
                    {"id": e.id, "name": e.name, "amount": _txt(e.amount_cents)}
                    for e in line.discounts
                ],
            }
            for line in result.lines
        ],
        "applied": [
            {"id": a.id, "name": a.name, "kind": a.kind, "amount": _txt(a.amount_cents)}
            for a in result.applied
        ],
        "vouchers": [
            {"code": v.code, "applied": v.applied, "reason": v.reason} for v in result.vouchers
        ],
        # Each rule coupon presented: the rules it fired and their discount, or why none.
        "coupons": [
            {
                "code": c.code,
                "applied": c.applied,
                "rules": list(c.rules),
                "amount": _txt(c.amount_cents),
                "reason": c.reason,
            }
            for c in result.coupons
        ],
        "points_redeemed": points,
        "points_value": _txt(points_value.cents),
        "cashback_redeemed": _txt(cashback.cents),
        "amount_due": _txt(due),
        "points_earned": result.rewards.points,
        "cashback_earned": _txt(result.rewards.cashback_cents),
        "raffle_tickets": dict(result.rewards.raffle_tickets),
    }
