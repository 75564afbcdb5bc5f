"""The engine's inputs: basket lines, the member context, and their parsing from JSON.

A line's ``qty`` is a ``Decimal``: whole for counted goods, up to 3 decimals for weighed goods
(kg). A weighed line counts as one unit for count-based promotions. Whether a line is weighed is
``weighed`` when given, else whether ``qty`` has a fraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NoReturn

from ..money import Money
from . import values as v
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

    def __post_init__(self) -> None:
        _check_line(self, "line", "linha")


def _check_line(line: BasketLine, where_en: str, where_pt: str) -> None:
    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError(where_en, where_pt, name, en, pt)

    v.text(raise_, "sku", line.sku)
    qty = line.qty
    if (
        not isinstance(qty, Decimal)
        or not qty.is_finite()
        or qty <= 0
        or qty > MAX_QTY
        or v.decimals(qty.normalize()) > 3
    ):
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
    if not isinstance(price, Money) or price.amount < 0 or v.decimals(price.amount.normalize()) > 2:
        shown = v.show(price.amount if isinstance(price, Money) else price)
        raise_(
            "unit_price",
            f"must be an amount of money ≥ 0 with at most 2 decimals, got {shown}",
            f"deve ser um valor em dinheiro ≥ 0 com no máximo 2 casas decimais, recebido {shown}",
        )
    object.__setattr__(line, "is_weighed", weighed)
    object.__setattr__(line, "qty_milli", int(qty * 1000))
    object.__setattr__(line, "price_cents", price.cents)
    milli = line.qty_milli if weighed else 0
    key = (
        line.sku,
        line.category,
        line.brand,
        tuple(sorted(line.tags)),
        weighed,
        milli,
        price.cents,
    )
    object.__setattr__(line, "sort_key", key)


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
    where_en, where_pt = f"line {number}", f"linha {number}"

    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise BasketError(where_en, where_pt, name, en, pt)

    data = v.mapping(raise_, "line", raw) if not isinstance(raw, dict) else raw
    v.known_fields(raise_, "", data, LINE_FIELDS)
    for required in ("sku", "qty", "unit_price"):
        if required not in data:
            raise_(required, "is required", "é obrigatório")
    qty = v.number(data["qty"])
    if qty is None or isinstance(data["qty"], float) and qty != qty.to_integral_value():
        # A float quantity cannot be trusted to 3 decimals; "1.234" as a string can.
        raise_(
            "qty",
            f"must be a number (write weighed quantities as strings), got {v.show(data['qty'])}",
            f"deve ser um número (quantidades pesadas como texto), recebido {v.show(data['qty'])}",
        )
    price = v.number(data["unit_price"])
    if price is None:
        shown = v.show(data["unit_price"])
        raise_(
            "unit_price",
            f"must be an amount of money ≥ 0 with at most 2 decimals, got {shown}",
            f"deve ser um valor em dinheiro ≥ 0 com no máximo 2 casas decimais, recebido {shown}",
        )
    weighed = data.get("weighed")
    try:
        return BasketLine(
            sku=v.text(raise_, "sku", data["sku"]),
            qty=qty,
            unit_price=Money(price),
            category=_opt_text(raise_, data, "category"),
            brand=_opt_text(raise_, data, "brand"),
            tags=v.strings(raise_, "tags", data["tags"]) if "tags" in data else frozenset(),
            weighed=None if weighed is None else v.flag(raise_, "weighed", weighed),
        )
    except BasketError as exc:
        raise exc.at(where_en, where_pt) from None


def _opt_text(raise_: v.Raise, data: Mapping[str, object], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
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
