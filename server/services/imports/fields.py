"""The cells of an import file as Brazilian spreadsheets write them, parsed or refused.

Each parser takes the cell's text and returns a value or raises :class:`.errors.RowError`
with a stable code (listed in ``docs/import.md``) and a message naming the bad value (a CPF
only masked). Money goes through :func:`loyalty.l10n.parse_money` (``1.234,56``, ``1234.56``,
``R$ 12,50``), the project's one money parser; a CPF through python-stdnum and then the
server's own rule (:func:`loyalty.identification.normalize_cpf`, which also refuses the
all-same-digit numbers stdnum accepts).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from stdnum.br import cpf as stdnum_cpf
from stdnum.exceptions import ValidationError

from loyalty.identification import IdentificationError, mask_cpf, normalize_cpf
from loyalty.l10n import MoneyParseError, parse_money
from loyalty.money import CENT

from .errors import RowError

_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_DATE_BR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_TRUE = frozenset({"sim", "s", "yes", "y", "true", "1", "x", "verdadeiro", "v"})
_FALSE = frozenset({"nao", "não", "n", "no", "false", "0", "falso", "f", ""})


def cpf(text: str) -> str:
    """The 11 digits of a valid CPF.

    :raises RowError: ``bad_cpf``.
    """
    try:
        # normalize_cpf is the server's rule (stdnum's check digits, and no repeated digits)
        return normalize_cpf(stdnum_cpf.compact(text))
    except (ValidationError, IdentificationError):
        raise RowError("bad_cpf", "CPF {cpf} is not valid", cpf=mask_cpf(text)) from None


_PLAIN_MONEY = re.compile(r"\d{1,15}(?:[.,]\d{1,2})?")


@lru_cache(maxsize=4096)
def date(text: str, column: str) -> dt.date:
    """A date written ``dd/mm/aaaa`` (also with ``-`` or ``.``) or ISO ``aaaa-mm-dd``.

    :raises RowError: ``bad_date``.
    """
    m = _DATE_BR.match(text)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _DATE_ISO.match(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise RowError(
        "bad_date", "{column}: {value} is not a date (dd/mm/aaaa)", column=column, value=text
    )


@lru_cache(maxsize=65536)  # history files repeat the same days (and times) a million times
def moment(text: str, column: str, zone: ZoneInfo) -> dt.datetime:
    """A date or date and time (``dd/mm/aaaa hh:mm[:ss]``, ISO ``aaaa-mm-ddThh:mm[:ss][±hh:mm]``),
    aware: a moment without an offset is read in ``zone``; a date alone is its midnight there.

    :raises RowError: ``bad_date``.
    """
    text = text.strip()
    if "T" in text or "+" in text[10:] or text.endswith("Z"):
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is not None:
            return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    day_text, _, time_text = text.partition(" ")
    day = date(day_text, column)
    at = dt.time(0, 0)
    if time_text.strip():
        m = _TIME.match(time_text.strip())
        try:
            if not m:
                raise ValueError
            at = dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        except ValueError:
            raise RowError(
                "bad_date",
                "{column}: {value} is not a date (dd/mm/aaaa)",
                column=column,
                value=text,
            ) from None
    return dt.datetime.combine(day, at, tzinfo=zone)


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first moment after ``day`` in ``zone``: a balance valid until 31/12 can be spent on
    the whole of 31/12 and is gone at midnight."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)


def money(text: str, column: str) -> Decimal:
    """An amount in reais with at most two decimals.

    :raises RowError: ``bad_money``.
    """
    if _PLAIN_MONEY.fullmatch(text):  # "12,34" or "1234.5": what parse_money reads them as
        return Decimal(text.replace(",", ".")).quantize(CENT)
    try:
        return parse_money(text).amount
    except MoneyParseError:
        raise RowError(
            "bad_money", "{column}: {value} is not an amount", column=column, value=text
        ) from None


def points(text: str, column: str) -> Decimal:
    """A whole number of points (``1.234`` is one thousand two hundred and thirty-four).

    :raises RowError: ``bad_points``.
    """
    try:
        value = parse_money(text).amount
    except MoneyParseError:
        value = None
    if value is None or value != value.to_integral_value():
        raise RowError(
            "bad_points",
            "{column}: {value} is not a whole number of points",
            column=column,
            value=text,
        )
    return value.quantize(Decimal(1))


def quantity(text: str, column: str) -> Decimal:
    """A quantity to the gram (``1,5``, ``0.250``, ``3``).

    :raises RowError: ``bad_quantity``.
    """
    t = text.strip()
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,9}(\.\d{1,3})?", t) or Decimal(t) <= 0:
        raise RowError(
            "bad_quantity", "{column}: {value} is not a quantity", column=column, value=text
        )
    return Decimal(t)


def phone(text: str) -> str:
    """A phone number in E.164 (``+5511987654321``); Brazilian numbers without the country code
    (``(11) 98765-4321``, with or without the trunk ``0``) get ``+55``.

    :raises RowError: ``bad_phone``.
    """
    plus = text.strip().startswith("+")
    digits = re.sub(r"\D", "", text)
    if not plus:
        digits = digits.lstrip("0")
        if len(digits) in (10, 11):
            digits = "55" + digits
        elif not (digits.startswith("55") and len(digits) in (12, 13)):
            digits = ""
    if not 8 <= len(digits) <= 15 or re.search(r"[A-Za-z]", text):
        raise RowError("bad_phone", "telefone: {value} is not a phone number", value=text)
    return "+" + digits


def email(text: str) -> str:
    """:raises RowError: ``bad_email``."""
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise RowError("bad_email", "email: {value} is not an e-mail address", value=value)
    return value


def flag(text: str, column: str) -> bool:
    """``sim``/``não`` (also ``s``/``n``, ``1``/``0``, ``true``/``false``, ``x``); empty is no.

    :raises RowError: ``bad_flag``.
    """
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowError("bad_flag", "{column}: {value} is not sim or não", column=column, value=text)


def text_cell(text: str, column: str, limit: int) -> str:
    """:raises RowError: ``too_long``."""
    if len(text) > limit:
        raise RowError(
            "too_long", "{column}: longer than {limit} characters", column=column, limit=limit
        )
    return text
