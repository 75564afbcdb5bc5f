"""Parsing and formatting of money as people write it: "12,34", "12.34", "R$ 1.234,56", and of
percentages ("5,5", "5.5", "5,5 %").

Formatting is pt-BR (``R$ 1.234,56``) or plain (``1234.56``, for files and APIs).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .errors import LoyaltyError
from .money import CENT, DEFAULT_CURRENCY, Money


class MoneyParseError(LoyaltyError):
    """Text that is no amount of money."""

    code = "invalid_amount"


_SYMBOL = re.compile(r"^\s*(?P<sign>-)?\s*(?:R\$)?\s*(?P<sign2>-)?\s*(?P<num>[\d.,]+)\s*$")
# Beyond this many integer digits no amount is money, and quantizing it would overflow the
# default decimal context (28 digits) with InvalidOperation.
_MAX_DIGITS = 20
_GROUPED = re.compile(r"^\d{1,3}([.,])\d{3}(?:\1\d{3})*$")


def parse_money(text: str, currency: str = DEFAULT_CURRENCY) -> Money:
    """Parse a BRL amount as cashiers, spreadsheets and APIs write it.

    Accepted: ``12,34``, ``12.34``, ``1234``, ``R$ 1.234,56``, ``1,234.56``, ``-R$ 5,00``.
    A single separator followed by one or two digits is the decimal separator; followed by three
    digits it is ambiguous, and read as thousands only in pt-BR style (``1.234`` is R$ 1.234,00).

    :raises MoneyParseError: for anything else, naming the text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    m = _SYMBOL.match(text)
    if not m or (m.group("sign") and m.group("sign2")):
        raise _bad(text)
    num = m.group("num")
    negative = bool(m.group("sign") or m.group("sign2"))
    seps = {c for c in num if c in ".,"}
    if len(seps) == 2:
        decimal_sep = num[max(num.rfind("."), num.rfind(","))]
        integer, _, fraction = num.rpartition(decimal_sep)
    elif len(seps) == 1:
        (sep,) = seps
        integer, _, fraction = num.rpartition(sep)
        if num.count(sep) > 1 or len(fraction) == 3:
            integer, fraction = num, ""  # thousands only: "1.234", "1.234.567"
    else:
        integer, fraction = num, ""
    if fraction and not (1 <= len(fraction) <= 2 and fraction.isdigit()):
        raise _bad(text)
    if integer != integer.replace(".", "").replace(",", "") and not _GROUPED.match(integer):
        raise _bad(text)
    digits = integer.replace(".", "").replace(",", "")
    if not digits.isdigit() or len(digits) > _MAX_DIGITS:
        raise _bad(text)
    amount = Decimal(f"{digits}.{fraction or '0'}")
    return Money(-amount if negative else amount, currency).quantize()


_PERCENT = re.compile(r"^\s*(?P<num>-?\s*[\d.,]+)\s*%?\s*$")


def parse_percent(text: str) -> Decimal:
    """Parse a percentage as head office types it: ``5,5``, ``5.5``, ``5,5 %``, ``10``.

    The number follows :func:`parse_money`'s rules (a decimal comma or point, at most two
    decimals); the range (0 to 100, say) is the caller's to check.

    >>> parse_percent("5,5 %")
    Decimal('5.50')

    :raises MoneyParseError: for anything else (``R$ 5``, ``1e400``, ``abc``), naming the text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    m = _PERCENT.match(text)
    if not m:
        raise _bad_percent(text)
    try:
        return parse_money(m.group("num").replace(" ", "")).amount
    except MoneyParseError:
        raise _bad_percent(text) from None


def _bad_percent(text: str) -> MoneyParseError:
    return MoneyParseError(f"not a percentage: {text!r}", f"percentual inválido: {text!r}")


def _bad(text: str) -> MoneyParseError:
    return MoneyParseError(f"not an amount of money: {text!r}", f"valor inválido: {text!r}")


def format_brl(money: Money, *, symbol: bool = True) -> str:
    """``R$ 1.234,56`` (pt-BR); negative amounts as ``-R$ 5,00``.

    >>> format_brl(Money("1234.5"))
    'R$ 1.234,50'
    """
    q = money.amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    integer, fraction = f"{abs(q):f}".split(".")
    grouped = f"{int(integer):,}".replace(",", ".")
    body = f"{grouped},{fraction}"
    return f"{sign}R$ {body}" if symbol else f"{sign}{body}"


def format_plain(money: Money) -> str:
    """``1234.56``: the form used in JSON, CSV and the campaign file.

    >>> format_plain(Money("-0.5"))
    '-0.50'
    """
    return f"{money.amount.quantize(CENT, rounding=ROUND_HALF_UP):f}"
