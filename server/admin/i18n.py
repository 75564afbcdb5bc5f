"""The admin UI's languages: pt-BR (default) and English, chosen per request.

A small dict catalogue (``messages_pt.py``) instead of Babel's ``.po``/``.mo`` files: no
compile step in the build, and a test checks every ``_()`` string in the templates has a
pt-BR entry. The language comes from ``?lang=`` (remembered in a cookie), then the cookie,
then ``Accept-Language``; unknown values fall back to pt-BR.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import g, request
from werkzeug.wrappers import Response

from loyalty.l10n import format_brl
from loyalty.money import Money

from .messages_pt import PT

LANGUAGES = ("pt-BR", "en")
DEFAULT = "pt-BR"
COOKIE = "tc_admin_lang"


def _norm(value: str | None) -> str | None:
    if not value:
        return None
    low = value.strip().lower()
    if low.startswith("pt"):
        return "pt-BR"
    if low.startswith("en"):
        return "en"
    return None


def select_language() -> str:
    """The language of this request (see the module docstring)."""
    chosen = _norm(request.args.get("lang")) or _norm(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(["pt-BR", "pt", "en"])
    return _norm(best) or DEFAULT


def remember_language(response: Response) -> Response:
    wanted = _norm(request.args.get("lang"))
    if wanted and wanted != _norm(request.cookies.get(COOKIE)):
        response.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def language() -> str:
    return str(g.get("admin_lang", DEFAULT))


def gettext(text: str, **values: Any) -> str:
    """``text`` in the request's language, with ``{name}`` placeholders filled in."""
    out = PT.get(text, text) if language() == "pt-BR" else text
    return out.format(**values) if values else out


def money(value: Decimal | Money | None) -> str:
    """BRL as head office reads it: ``R$ 1.234,56`` in pt-BR, ``R$1,234.56`` in English."""
    if value is None:
        return "—"
    amount = value.amount if isinstance(value, Money) else Decimal(value)
    if language() == "pt-BR":
        return format_brl(Money(amount.quantize(Decimal("0.01"))))
    sign = "-" if amount < 0 else ""
    return f"{sign}R${abs(amount):,.2f}"


def number(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(value):,f}" if isinstance(value, Decimal) else f"{value:,}"
    if language() == "pt-BR":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{float(value) * 100:.1f}%"
    return text.replace(".", ",") if language() == "pt-BR" else text


def datetime_local(value: Any) -> str:
    """A timestamp for tables: ``23/11/2026 06:10`` (pt-BR) or ``2026-11-23 06:10`` (UTC)."""
    if value is None:
        return "—"
    if language() == "pt-BR":
        return str(value.strftime("%d/%m/%Y %H:%M"))
    return str(value.strftime("%Y-%m-%d %H:%M"))
