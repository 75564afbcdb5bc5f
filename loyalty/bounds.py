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
    """A number beyond its configured bound (or not a finite number at all)."""

    code = "out_of_bounds"

    def __init__(self, field: str, value: object, bound: Decimal) -> None:
        self.field = field
        self.bound = bound
        super().__init__(
            f"{field} {value!s:.40} is beyond the limit of {bound}",
            f"{field} {value!s:.40} passa do limite de {bound}",
        )


@dataclass(frozen=True)
class Bounds:
    """The largest values accepted; every bound is inclusive."""

    unit_price: Decimal = Decimal("1000000.00")  # R$ 1 milhão per unit
    quantity: Decimal = Decimal("100000")  # units (or kg) on one line
    line_amount: Decimal = Decimal("10000000.00")  # R$ 10 milhões per line
    sale_total: Decimal = Decimal("10000000.00")  # R$ 10 milhões per sale
    form_amount: Decimal = Decimal("10000000.00")  # any money a head-office form takes
    lines: int = 1000  # lines in one sale

    def check(self, field: str, value: Decimal, bound: Decimal) -> Decimal:
        """``value`` when it is a finite number within ``[-bound, bound]``.

        :raises OutOfBounds: naming ``field`` otherwise (NaN, infinity, too large).
        """
        try:
            finite = value.is_finite() and abs(value) <= bound
        except InvalidOperation:
            finite = False
        if not finite:
            raise OutOfBounds(field, value, bound)
        return value


DEFAULT_BOUNDS = Bounds()
