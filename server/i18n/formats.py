"""Money, numbers, percentages, points and dates as each language writes them.

pt-BR: ``R$ 1.234,56``, ``1.234,5``, ``12,5%``, ``23/11/2026 06:10``; English: ``R$1,234.56``,
``1,234.5``, ``12.5%``, ``2026-11-23 06:10``. Money goes through :mod:`loyalty.l10n` (the
core's one money formatter, also the receipts'). The language is an argument, so a job or a
mail renders the same text as a page; :mod:`.web` binds it to the request. Nothing given
(``None``) shows as a dash.

:func:`brl` is the amount as receipts and tills print it, in either language: the shoppers'
pages show it so (their money is reais, whatever language they read), head office's English
pages group the English way (:func:`money`).

Dates are shown in ``zone`` when one is given (the portal: the shoppers' time), else as
stored (head office's tables say "UTC").
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from loyalty.l10n import format_brl
from loyalty.money import CENT, Money

from .negotiation import DEFAULT

NOTHING = "—"


def _pt_separators(text: str) -> str:
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _amount(value: Decimal | Money | int) -> Decimal:
    return value.amount if isinstance(value, Money) else Decimal(value)


def brl(value: Decimal | Money | int | None) -> str:
    """``R$ 1.234,56`` in both languages (receipts, the tills, the shoppers' pages)."""
    if value is None:
        return NOTHING
    return format_brl(Money(_amount(value), "BRL"))


def money(value: Decimal | Money | int | None, lang: str) -> str:
    """``R$ 1.234,56`` in pt-BR, ``R$1,234.56`` in English."""
    if value is None:
        return NOTHING
    if lang == DEFAULT:
        return brl(value)
    amount = _amount(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}R${abs(amount):,.2f}"


def number(value: Decimal | int | None, lang: str) -> str:
    """Grouped thousands, every decimal kept: ``1.234,5`` (pt-BR), ``1,234.5``."""
    if value is None:
        return NOTHING
    text = f"{value:,f}" if isinstance(value, Decimal) else f"{value:,}"
    return _pt_separators(text) if lang == DEFAULT else text


def points(value: Decimal | int | None, lang: str) -> str:
    """Whole points, grouped: ``12.345`` (pt-BR), ``12,345``; a fraction is dropped."""
    return NOTHING if value is None else number(int(value), lang)


def percent(value: float | Decimal | None, lang: str) -> str:
    """A ratio (``0.125``) as ``12,5%`` (pt-BR) or ``12.5%``, one decimal."""
    if value is None:
        return NOTHING
    text = f"{float(value) * 100:.1f}%"
    return text.replace(".", ",") if lang == DEFAULT else text


def date(value: dt.date | dt.datetime | None, lang: str, zone: dt.tzinfo | None = None) -> str:
    """``23/11/2026`` (pt-BR) or ``2026-11-23``; a timestamp's day in ``zone`` if given."""
    if value is None:
        return NOTHING
    if isinstance(value, dt.datetime):
        value = (value.astimezone(zone) if zone else value).date()
    return value.strftime("%d/%m/%Y") if lang == DEFAULT else value.isoformat()


def datetime(value: dt.datetime | None, lang: str, zone: dt.tzinfo | None = None) -> str:
    """``23/11/2026 06:10`` (pt-BR) or ``2026-11-23 06:10``, in ``zone`` if given."""
    if value is None:
        return NOTHING
    local = value.astimezone(zone) if zone else value
    return local.strftime("%d/%m/%Y %H:%M" if lang == DEFAULT else "%Y-%m-%d %H:%M")
