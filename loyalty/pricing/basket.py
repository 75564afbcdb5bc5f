"""The engine's inputs: basket lines, the member context, and their parsing from JSON.

A line's ``qty`` is a ``Decimal``: whole for counted goods, up to 3 decimals for weighed goods
(kg). A weighed line counts as one unit for count-based promotions. Whether a line is weighed is
``weighed`` when given, else whether ``qty`` has a fraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from ..money import Money
from . import values as v
from .arith import mul_half_up
from .errors import BasketError

MAX_QTY = Decimal(100_000)


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One line of the basket as the POS sent it.

    :raises BasketError: for an empty sku, a quantity ≤ 0 or with more than 3 decimals (or
        fractional but not weighed), a negative unit price or one with fractions of a cent.
    """

    sku: str
    qty: Decimal
    unit_price: Money
    category: str = ""
    brand: str = ""
    tags: frozenset[str] = frozenset()
    weighed: bool | None = None
    is_weighed: bool = field(init=False, repr=False, compare=False)
    qty_milli: int = field(init=False, repr=False, compare=False)
    price_cents: int = field(init=False, repr=False, compare=False)
    # Everything that can make two lines price differently, except a counted line's qty: the
    # engine orders units by it, so the order of the lines in the basket never matters.
    sort_key: tuple[object, ...] = field(init=False, repr=False, compare=False)
    # What the engine reads for every line of every sale, worked out once per line: the
    # attributes rules select on, and the line's starting tranche (a weighed line is one unit
    # priced at its amount) and gross in cents.
    scope_key: tuple[str, str, str, frozenset[str]] = field(init=False, repr=False, compare=False)
    units: int = field(init=False, repr=False, compare=False)
    unit_cents: int = field(init=False, repr=False, compare=False)
    gross_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_line(self, "line", "linha")


def _check_line(line: BasketLine, where_en: str, where_pt: str) -> None:
    # Runs for every line of every basket at the till: each test below is the cheapest
    # Decimal operation that decides it (quantize-and-compare, not as_tuple/normalize).
    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError(where_en, where_pt, name, en, pt)

    sku = line.sku
    if type(sku) is not str or not sku.strip():
        v.text(raise_, "sku", sku)
    qty = line.qty
    if not (type(qty) is Decimal or isinstance(qty, Decimal)) or not _within(qty, _MILLI):
        raise_(
            "qty",
            f"must be a number greater than 0 and at most {MAX_QTY} with at most 3 decimals, "
            f"got {v.show(qty)}",
            f"deve ser um número maior que 0 e até {MAX_QTY} com no máximo 3 casas decimais, "
            f"recebido {v.show(qty)}",
        )
    fractional = qty != qty.to_integral_value()
    weighed = fractional if line.weighed is None else line.weighed
    if fractional and not weighed:
        raise_(
            "qty",
            f"must be a whole number for a line that is not weighed, got {v.show(qty)}",
            f"deve ser um número inteiro para item não pesado, recebido {v.show(qty)}",
        )
    price = line.unit_price
    if not isinstance(price, Money) or not _cents_only(price.amount):
        shown = v.show(price.amount if isinstance(price, Money) else price)
        raise_(
            "unit_price",
            f"must be an amount of money ≥ 0 with at most 2 decimals, got {shown}",
            f"deve ser um valor em dinheiro ≥ 0 com no máximo 2 casas decimais, recebido {shown}",
        )
    setattr_ = object.__setattr__
    qty_milli = int(qty * 1000)
    price_cents = int(price.amount * 100)
    setattr_(line, "is_weighed", weighed)
    setattr_(line, "qty_milli", qty_milli)
    setattr_(line, "price_cents", price_cents)
    tags = tuple(sorted(line.tags)) if line.tags else ()
    key = (line.sku, line.category, line.brand, tags, weighed, qty_milli if weighed else 0)
    setattr_(line, "sort_key", (*key, price_cents))
    setattr_(line, "scope_key", (line.sku, line.category, line.brand, line.tags))
    if weighed:
        units, unit = 1, mul_half_up(price_cents, qty_milli, 1000)
    else:
        units, unit = qty_milli // 1000, price_cents
    setattr_(line, "units", units)
    setattr_(line, "unit_cents", unit)
    setattr_(line, "gross_cents", units * unit)


_MILLI = Decimal("0.001")
_CENT = Decimal("0.01")


def _within(qty: Decimal, step: Decimal) -> bool:
    """``0 < qty <= MAX_QTY`` and a whole number of ``step``s."""
    if not qty.is_finite() or qty <= 0 or qty > MAX_QTY:
        return False
    return qty.quantize(step) == qty


def _cents_only(amount: Decimal) -> bool:
    """``amount >= 0`` in whole cents (an amount too large to hold cents is refused too)."""
    if not amount.is_finite() or amount < 0:
        return False
    try:
        return amount.quantize(_CENT) == amount
    except InvalidOperation:
        return False


@dataclass(frozen=True, slots=True)
class MemberContext:
    """The identified shopper; the engine gets ``None`` for an anonymous sale.

    Coupon codes are compared case-insensitively, without surrounding spaces.
    """

    id: str
    tier: str | None = None
    segments: frozenset[str] = frozenset()
    activated_offers: frozenset[str] = frozenset()
    coupons: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "coupons", normalize_codes(self.coupons))


def normalize_codes(codes: Iterable[str]) -> frozenset[str]:
    return frozenset(code.strip().upper() for code in codes)


LINE_FIELDS = {"sku", "qty", "unit_price", "category", "brand", "tags", "weighed"}


def parse_basket(data: object) -> tuple[BasketLine, ...]:
    """Parse ``{"lines": [{"sku", "qty", "unit_price", "category", "brand", "tags"}, …]}``.

    :raises BasketError: naming the line (1-based) and the field.
    """

    def top(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError("basket", "cesta", name, en, pt)

    doc = v.mapping(top, "lines", data) if not isinstance(data, dict) else data
    v.known_fields(top, "", doc, {"lines"})
    raw_lines = doc.get("lines")
    if not isinstance(raw_lines, list):
        top("lines", f"must be a list, got {v.show(raw_lines)}", "deve ser uma lista")
    return tuple(_parse_line(i, raw) for i, raw in enumerate(raw_lines, start=1))


def _parse_line(number: int, raw: object) -> BasketLine:
    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError(f"line {number}", f"linha {number}", name, en, pt)

    data = raw if type(raw) is dict else v.mapping(raise_, "line", raw)
    if not data.keys() <= LINE_FIELDS:
        v.known_fields(raise_, "", data, LINE_FIELDS)
    for required in ("sku", "qty", "unit_price"):
        if required not in data:
            raise_(required, "is required", "é obrigatório")
    raw_qty = data["qty"]
    qty = v.number(raw_qty)
    if qty is None or type(raw_qty) is float and qty != qty.to_integral_value():
        # A float quantity cannot be trusted to 3 decimals; "1.234" as a string can.
        raise_(
            "qty",
            f"must be a number (write weighed quantities as strings), got {v.show(raw_qty)}",
            f"deve ser um número (quantidades pesadas como texto), recebido {v.show(raw_qty)}",
        )
    price = v.number(data["unit_price"])
    if price is None:
        shown = v.show(data["unit_price"])
        raise_(
            "unit_price",
            f"must be an amount of money ≥ 0 with at most 2 decimals, got {shown}",
            f"deve ser um valor em dinheiro ≥ 0 com no máximo 2 casas decimais, recebido {shown}",
        )
    sku = data["sku"]
    weighed = data.get("weighed")
    try:
        return BasketLine(
            sku=sku.strip() if type(sku) is str and sku.strip() else v.text(raise_, "sku", sku),
            qty=qty,
            unit_price=Money(price),
            category=_opt_text(raise_, data, "category"),
            brand=_opt_text(raise_, data, "brand"),
            tags=v.strings(raise_, "tags", data["tags"]) if "tags" in data else frozenset(),
            weighed=None if weighed is None else v.flag(raise_, "weighed", weighed),
        )
    except BasketError as exc:
        raise exc.at(f"line {number}", f"linha {number}") from None


def _opt_text(raise_: v.Raise, data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if type(value) is not str and not isinstance(value, str):
        raise_(
            name,
            f"must be a string, got {v.show(value)}",
            f"deve ser um texto, recebido {v.show(value)}",
        )
    return value.strip()


MEMBER_FIELDS = {"id", "tier", "segments", "activated_offers", "coupons"}


def parse_member(data: object) -> MemberContext:
    """Parse ``{"id", "tier", "segments", "activated_offers", "coupons"}``.

    :raises BasketError: naming the field.
    """

    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError("member", "membro", name, en, pt)

    doc = v.mapping(raise_, "member", data) if not isinstance(data, dict) else data
    v.known_fields(raise_, "", doc, MEMBER_FIELDS)
    if "id" not in doc:
        raise_("id", "is required", "é obrigatório")
    raw_id = doc["id"]
    member_id = v.text(raise_, "id", str(raw_id) if isinstance(raw_id, int) else raw_id)
    tier = doc.get("tier")
    return MemberContext(
        id=member_id,
        tier=None if tier is None else v.text(raise_, "tier", tier),
        segments=v.strings(raise_, "segments", doc.get("segments", [])),
        activated_offers=v.strings(raise_, "activated_offers", doc.get("activated_offers", [])),
        coupons=v.strings(raise_, "coupons", doc.get("coupons", [])),
    )
