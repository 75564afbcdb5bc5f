"""Checks and coercions of JSON-ish values shared by the campaign, basket and member parsers.

Each check returns the clean value or raises the caller's error with a bilingual problem text
that quotes the bad value as it was written (``got "150"`` for a string, ``got 150`` for a number).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from ..bounds import DEFAULT_BOUNDS
from ..money import Money

# raise_(field, problem_en, problem_pt) -> never returns
Raise = Callable[[str, str, str], NoReturn]


def show(value: object) -> str:
    """A value as JSON would spell it, for error messages."""
    if isinstance(value, Decimal):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def number(value: object) -> Decimal | None:
    """A finite ``Decimal`` from an int, ``Decimal``, float (as written) or numeric string."""
    if type(value) is str:  # the wire's usual spelling, first
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    elif isinstance(value, bool):
        return None
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # JSON's shortest spelling, not the binary expansion
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def money(raise_: Raise, name: str, value: object, *, positive: bool = False) -> Money:
    d = number(value)
    if d is None or d < 0 or (positive and d == 0) or decimals(d.normalize()) > 2:
        lo_en, lo_pt = ("greater than 0", "maior que 0") if positive else ("≥ 0", "≥ 0")
        raise_(
            name,
            f"must be an amount of money {lo_en} with at most 2 decimals, got {show(value)}",
            f"deve ser um valor em dinheiro {lo_pt} com no máximo 2 casas decimais, "
            f"recebido {show(value)}",
        )
    if d > DEFAULT_BOUNDS.form_amount:  # 1e400 would overflow the quantize below
        raise_(
            name,
            f"must be at most {DEFAULT_BOUNDS.form_amount}, got {show(value)}",
            f"deve ser no máximo {DEFAULT_BOUNDS.form_amount}, recebido {show(value)}",
        )
    return Money(d).quantize()


def percent(raise_: Raise, name: str, value: object) -> Decimal:
    d = number(value)
    if d is None or not 0 <= d <= 100:
        raise_(
            name,
            f"must be a number between 0 and 100, got {show(value)}",
            f"deve ser um número entre 0 e 100, recebido {show(value)}",
        )
    return d


def integer(raise_: Raise, name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise_(
            name,
            f"must be a whole number ≥ {minimum}, got {show(value)}",
            f"deve ser um número inteiro ≥ {minimum}, recebido {show(value)}",
        )
    return value


def text(raise_: Raise, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise_(
            name,
            f"must be a non-empty string, got {show(value)}",
            f"deve ser um texto não vazio, recebido {show(value)}",
        )
    return value.strip()


def flag(raise_: Raise, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise_(
            name,
            f"must be true or false, got {show(value)}",
            f"deve ser true ou false, recebido {show(value)}",
        )
    return value


def strings(raise_: Raise, name: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise_(
            name,
            f"must be a list of non-empty strings, got {show(value)}",
            f"deve ser uma lista de textos não vazios, recebido {show(value)}",
        )
    return frozenset(v.strip() for v in value)


def mapping(raise_: Raise, name: str, value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise_(
            name,
            f"must be an object, got {show(value)}",
            f"deve ser um objeto, recebido {show(value)}",
        )
    return value


def known_fields(raise_: Raise, prefix: str, data: dict[str, object], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise_(
                f"{prefix}{key}",
                f"unknown field; expected one of {', '.join(sorted(allowed))}",
                f"campo desconhecido; esperado um de {', '.join(sorted(allowed))}",
            )
