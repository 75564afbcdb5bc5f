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

from loyalty.bounds import TEXT_LENGTHS, Bounds, check_length
from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.pricing import BasketError, BasketLine, parse_basket
from loyalty.pricing.basket import LINE_FIELDS


def parse_lines(lines: Sequence[Any], bounds: Bounds) -> tuple[BasketLine, ...]:
    """The POS's lines checked and parsed: :func:`check_raw_lines`, ``parse_basket`` and
    :func:`check_basket` in one pass over the usual line, with their errors.

    Every basket of every sale comes through here before it is priced: the three steps each
    made a ``Decimal`` of every quantity and price. The usual line (a JSON object of known
    fields, quantity and price as strings, within the bounds) is read once; anything else,
    and any error, goes the three-step way, which names the line and the field
    (a property test pins the two equal on valid and invalid baskets alike).
    """
    if len(lines) > bounds.lines:
        return _three_steps(lines, bounds)
    out = []
    total = Decimal(0)
    max_price, max_qty, max_amount = bounds.unit_price, bounds.quantity, bounds.line_amount
    max_sku, max_category = TEXT_LENGTHS["sku"], TEXT_LENGTHS["category_id"]
    max_brand = TEXT_LENGTHS["brand"]
    try:
        for raw in lines:
            if type(raw) is not dict or not raw.keys() <= LINE_FIELDS:
                return _three_steps(lines, bounds)
            sku, qty, price = raw.get("sku"), raw.get("qty"), raw.get("unit_price")
            if type(sku) is not str or type(qty) is not str or type(price) is not str:
                return _three_steps(lines, bounds)
            q, p = Decimal(qty.strip()), Decimal(price.strip())
            amount = p * q
            if not (
                q.is_finite()
                and p.is_finite()
                and abs(q) <= max_qty
                and abs(p) <= max_price
                and abs(amount) <= max_amount
            ):
                return _three_steps(lines, bounds)
            sku = sku.strip()
            category, brand = raw.get("category"), raw.get("brand")
            tags, weighed = raw.get("tags"), raw.get("weighed")
            if (
                not sku
                or not (category is None or type(category) is str)
                or not (brand is None or type(brand) is str)
                or not (tags is None or type(tags) is list)
                or not (weighed is None or type(weighed) is bool)
                or "tags" in raw
                and tags is None
            ):
                return _three_steps(lines, bounds)
            if tags and not all(type(t) is str and t.strip() for t in tags):
                return _three_steps(lines, bounds)
            if (
                len(raw["sku"]) > max_sku
                or (category is not None and len(category) > max_category)
                or (brand is not None and len(brand) > max_brand)
            ):
                return _three_steps(lines, bounds)  # too long: named there
            out.append(
                BasketLine(
                    sku=sku,
                    qty=q,
                    unit_price=Money(p),
                    category="" if category is None else category.strip(),
                    brand="" if brand is None else brand.strip(),
                    tags=frozenset(t.strip() for t in tags) if tags else frozenset(),
                    weighed=weighed,
                )
            )
            total += amount
    except (ArithmeticError, LoyaltyError):  # a malformed number or line: named the slow way
        return _three_steps(lines, bounds)
    bounds.check_sale(len(out), total)
    return tuple(out)


def _three_steps(lines: Sequence[Any], bounds: Bounds) -> tuple[BasketLine, ...]:
    check_raw_lines(lines, bounds)
    parsed = parse_basket({"lines": list(lines)})
    check_basket(parsed, bounds)
    return parsed


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
        for name, key, pt in (
            ("sku", "sku", "código"),
            ("category", "category_id", "categoria"),  # the server's column is category_id
            ("brand", "brand", "marca"),
        ):
            check_length(f"line {number}: {name}", raw.get(name), key, f"linha {number}: {pt}")
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
