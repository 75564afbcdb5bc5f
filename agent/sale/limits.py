"""The till's upper bounds on a basket, checked before it is priced (``loyalty.bounds``).

A unit price of 99.999.999.999,99 is a typing slip or a broken POS, not a sale: it would earn
quadrillions of points. The POS's lines are checked against the agent's ``[limits]``
(:class:`loyalty.bounds.Bounds`) and refused with ``out_of_bounds`` (422) naming the line and
the field, before anything is priced or stored. A JSON number as a price is refused too: the
contract (docs/pos-http-api.json) sends money as a decimal string, never a JSON number; a
float may already have lost the cents, and an integer is ambiguous (1250: reais or cents?).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.bounds import Bounds, check_length
from loyalty.pricing import BasketError, BasketLine


def check_raw_lines(lines: Sequence[Any], bounds: Bounds) -> None:
    """The POS's lines as sent, before parsing: no float money, no number beyond the bounds.

    :raises BasketError: a ``unit_price`` sent as a JSON number.
    :raises OutOfBounds: too many lines, or a unit price or quantity beyond its bound.
    :raises TooLong: a SKU, category or brand longer than the server stores (``too_long``).
    """
    if len(lines) > bounds.lines:
        bounds.check_sale(len(lines), Decimal(0))
    for number, raw in enumerate(lines, start=1):
        if not isinstance(raw, Mapping):
            continue  # parse_basket names it
        price = raw.get("unit_price")
        if isinstance(price, int | float) and not isinstance(price, bool):
            shown = repr(price) if len(repr(price)) <= 40 else f"{repr(price)[:20]}…"
            raise BasketError(
                f"line {number}",
                f"linha {number}",
                "unit_price",
                f'must be a decimal string such as "9.99", not a JSON number (it may have lost '
                f"the cents, or mean cents), got {shown}",
                f'deve ser um texto decimal como "9.99", não um número JSON (pode ter perdido '
                f"os centavos, ou ser centavos), recebido {shown}",
            )
        for name, pt in (("sku", "código"), ("category_id", "categoria"), ("brand", "marca")):
            check_length(f"line {number}: {name}", raw.get(name), name, f"linha {number}: {pt}")
        for name, pt, bound in (
            ("unit_price", "preço unitário", bounds.unit_price),
            ("qty", "quantidade", bounds.quantity),
        ):
            value = _number(raw.get(name))
            if value is not None:
                bounds.check(f"line {number}: {name}", value, bound, f"linha {number}: {pt}")


def check_basket(lines: Sequence[BasketLine], bounds: Bounds) -> None:
    """Parsed lines: each line's amount and the sale's total before discounts.

    :raises OutOfBounds: naming the line (1-based) or the sale total.
    """
    total = Decimal(0)
    for number, line in enumerate(lines, start=1):
        amount = line.unit_price.amount * line.qty
        bounds.check_line(number, line.unit_price.amount, line.qty, amount)
        total += amount
    bounds.check_sale(len(lines), total)


def _number(value: object) -> Decimal | None:
    """A number the bounds can judge (``Infinity`` and NaN included); ``None``: not a number,
    left to the basket parser's own message."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            return None
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None
