"""Money: a currency amount on ``Decimal``, quantized to cents, never a float.

Modelled on py-moneyed's ``Money`` and ``prices.Money``, but stricter: a ``float`` anywhere is a
``TypeError`` (a float cannot hold R$ 0,10 exactly), as is mixing currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

CENT: Final = Decimal("0.01")
DEFAULT_CURRENCY: Final = "BRL"


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Coerce an ``int``, ``str`` or ``Decimal`` to a finite ``Decimal``.

    :raises TypeError: for a ``float`` (or ``bool``) or any other type.
    :raises ValueError: for a string that is no number, or NaN/infinity.
    """
    if isinstance(value, bool) or isinstance(value, float):
        kind = type(value).__name__
        raise TypeError(f"{what} must be Decimal, int or str, not {kind}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"invalid {what}: {value!r}") from None
    else:
        raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"invalid {what}: {value!r}")
    return result


def cents_text(cents: int) -> str:
    """Whole cents as a decimal string with two places, as amounts go on the wire.

    Integer arithmetic: quotes and events write dozens of amounts per sale.

    >>> cents_text(1230), cents_text(-5), cents_text(0)
    ('12.30', '-0.05', '0.00')
    """
    whole, part = divmod(-cents if cents < 0 else cents, 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


class Money:
    """An amount of one currency. Immutable and hashable.

    Arithmetic keeps full ``Decimal`` precision; call :meth:`quantize` to round to cents.
    Money created from a string or int is exact.

    >>> Money("12.345").quantize()
    Money('12.35', 'BRL')
    >>> Money("1.10") + Money("2.20")
    Money('3.30', 'BRL')
    """

    __slots__ = ("amount", "currency")
    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str = DEFAULT_CURRENCY) -> None:
        # Built tens of times per priced basket: a finite Decimal in the default currency
        # skips the general coercion.
        if type(amount) is Decimal and amount.is_finite():
            object.__setattr__(self, "amount", amount)
        else:
            object.__setattr__(self, "amount", to_decimal(amount))
        if currency is not DEFAULT_CURRENCY:
            if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
                raise ValueError(f"invalid currency code: {currency!r}")
            currency = currency.upper()
        object.__setattr__(self, "currency", currency)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal("0.00"), currency)

    @classmethod
    def from_cents(cls, cents: int, currency: str = DEFAULT_CURRENCY) -> Money:
        if not isinstance(cents, int) or isinstance(cents, bool):
            raise TypeError(f"cents must be int, not {type(cents).__name__}")
        return cls(Decimal(cents).scaleb(-2), currency)

    @property
    def cents(self) -> int:
        """The amount in whole cents (rounded half-up)."""
        return int(self.amount.quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))

    def text(self) -> str:
        """The amount rounded to cents as the wire writes it: ``'12.30'``, ``'-0.05'``.

        >>> Money("12.3").text(), Money("-0.045").text()
        ('12.30', '-0.05')
        """
        return cents_text(self.cents)

    def quantize(self, exp: Decimal = CENT, rounding: str = ROUND_HALF_UP) -> Money:
        return Money(self.amount.quantize(exp, rounding=rounding), self.currency)

    def _other(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise TypeError(f"currency mismatch: {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._other(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._other(other).amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor, what="factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int) -> Money:
        return Money(self.amount / to_decimal(divisor, what="divisor"), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._other(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._other(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._other(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._other(other).amount

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def __reduce__(self) -> tuple[type[Money], tuple[Decimal, str]]:
        return (Money, (self.amount, self.currency))
