"""Upper bounds on the numbers a sale or a head-office form may carry.

A unit price of 99.999.999.999,99 or a total of ``1e999999`` is no sale: it is a typing slip,
a broken POS or an attack, and it must be refused where it enters (the till's POS API, the
server's sync API, a head-office form) with a clear error, never priced, earned on or stored.
The defaults fit the largest Brazilian retail sale (an atacarejo pallet) with room to spare;
a chain changes them in the agent's and the server's config (``limits.*`` keys, documented in
``docs/``), and both sides read the same :class:`Bounds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import LoyaltyError


class OutOfBounds(LoyaltyError):
    """A number beyond its configured bound (or not a finite number at all).

    ``field`` names it in English, ``field_pt`` in pt-BR (the same when not given).
    """

    code = "out_of_bounds"

    def __init__(
        self, field: str, value: object, bound: Decimal, field_pt: str | None = None
    ) -> None:
        self.field = field
        self.bound = bound
        shown = _show(value)
        super().__init__(
            f"{field} {shown} is beyond the limit of {bound}",
            f"{field_pt or field} {shown} passa do limite de {bound}",
        )


def _show(value: object) -> str:
    text = f"{value:f}" if isinstance(value, Decimal) and value.is_finite() else str(value)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"


# Config keys (agent ``[limits]``; see docs/pos-integration.md) -> Bounds field.
CONFIG_KEYS = {
    "max_unit_price_brl": "unit_price",
    "max_quantity": "quantity",
    "max_line_amount_brl": "line_amount",
    "max_sale_total_brl": "sale_total",
    "max_lines": "lines",
}


@dataclass(frozen=True)
class Bounds:
    """The largest values accepted; every bound is inclusive."""

    unit_price: Decimal = Decimal("1000000.00")  # R$ 1 milhão per unit
    quantity: Decimal = Decimal("100000")  # units (or kg) on one line
    line_amount: Decimal = Decimal("10000000.00")  # R$ 10 milhões per line
    sale_total: Decimal = Decimal("10000000.00")  # R$ 10 milhões per sale
    form_amount: Decimal = Decimal("10000000.00")  # any money a head-office form takes
    lines: int = 1000  # lines in one sale

    def check(
        self, field: str, value: Decimal, bound: Decimal, field_pt: str | None = None
    ) -> Decimal:
        """``value`` when it is a finite number within ``[-bound, bound]``.

        :raises OutOfBounds: naming ``field`` otherwise (NaN, infinity, too large).
        """
        try:
            finite = value.is_finite() and abs(value) <= bound
        except InvalidOperation:
            finite = False
        if not finite:
            raise OutOfBounds(field, value, bound, field_pt)
        return value

    def check_line(
        self, number: int, unit_price: Decimal, quantity: Decimal, amount: Decimal
    ) -> None:
        """One sale line (``number`` is 1-based): its unit price, quantity and amount.

        :raises OutOfBounds: naming the line and the field.
        """
        for name, pt, value, bound in (
            ("unit_price", "preço unitário", unit_price, self.unit_price),
            ("qty", "quantidade", quantity, self.quantity),
            ("amount", "valor", amount, self.line_amount),
        ):
            self.check(f"line {number}: {name}", value, bound, f"linha {number}: {pt}")

    def check_sale(self, lines: int, total: Decimal) -> None:
        """A whole sale: how many lines, and its total (before discounts).

        :raises OutOfBounds: naming the field.
        """
        if lines > self.lines:
            raise OutOfBounds("number of lines", lines, Decimal(self.lines), "número de itens")
        self.check("sale total", total, self.sale_total, "total da venda")

    @classmethod
    def from_config(cls, values: dict[str, object]) -> Bounds:
        """Bounds from config keys (:data:`CONFIG_KEYS`), the defaults for absent ones.

        :raises ValueError: an unknown key, or a value that is not a positive finite number
            (``max_lines``: a positive whole number); money as a decimal string or integer.
        """
        fields: dict[str, object] = {}
        for key, raw in values.items():
            name = CONFIG_KEYS.get(key)
            if name is None:
                raise ValueError(f"unknown limit {key!r}; expected one of {', '.join(CONFIG_KEYS)}")
            if name == "lines":
                if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                    raise ValueError(f"{key} must be a whole number ≥ 1, got {raw!r}")
                fields[name] = raw
                continue
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise ValueError(
                    f'{key} must be a decimal string such as "1000000.00", got {raw!r}'
                )
            try:
                value = Decimal(raw)
                ok = value.is_finite() and value > 0 and value.adjusted() < 18
            except InvalidOperation:
                ok = False
            if not ok:
                raise ValueError(
                    f"{key} must be a positive amount of at most 18 digits, got {raw!r}"
                )
            fields[name] = value
        return cls(**fields)  # type: ignore[arg-type]


DEFAULT_BOUNDS = Bounds()


class TooLong(LoyaltyError):
    """A text longer than the server stores (``field`` names it; the same in pt-BR if not
    given)."""

    code = "too_long"

    def __init__(self, field: str, length: int, limit: int, field_pt: str | None = None) -> None:
        self.field = field
        self.limit = limit
        super().__init__(
            f"{field} has {length} characters; at most {limit} are stored",
            f"{field_pt or field} tem {length} caracteres; no máximo {limit} são guardados",
        )


#: The longest text the server stores for each field a till sends (its database columns; a
#: server test pins these to the models). The till refuses longer text where the POS sends
#: it, so a sale is never accepted at the till and refused at the server for a long SKU.
TEXT_LENGTHS: dict[str, int] = {
    "sku": 64,
    "category_id": 64,
    "brand": 100,
    "refund_reason": 200,
    "member_name": 200,
    "phone": 32,
    "email": 254,
}


def check_length(field: str, value: object, key: str, field_pt: str | None = None) -> None:
    """:raises TooLong: ``value`` (a string) is longer than :data:`TEXT_LENGTHS` ``[key]``."""
    limit = TEXT_LENGTHS[key]
    if isinstance(value, str) and len(value) > limit:
        raise TooLong(field, len(value), limit, field_pt)
