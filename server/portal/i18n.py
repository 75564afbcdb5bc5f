"""Language of the portal: pt-BR by default, English on request; a small dict of translations.

Chosen by ``?lang=`` (remembered in the ``portal_lang`` cookie), then the cookie, then the
browser's ``Accept-Language``. Messages are written in English in code and templates
(``_("Sign in")``) and looked up in :data:`messages_pt.PT_BR`; a test checks that every message
used in the templates and the code has a pt-BR entry. We chose a dict over Babel's ``.po``
files: no compile step in setup, and the portal has a few hundred short strings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Response, g, request

from loyalty.l10n import format_brl
from loyalty.money import Money

from .messages_pt import PT_BR

LANGS = ("pt-BR", "en")
DEFAULT_LANG = "pt-BR"
COOKIE = "portal_lang"


def choose_lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGS:
        return cookie
    # Highest quality first; any Portuguese means pt-BR, any English means en.
    for tag, _quality in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary == "pt":
            return "pt-BR"
        if primary == "en":
            return "en"
    return DEFAULT_LANG


def current_lang() -> str:
    lang = g.get("portal_lang")
    if lang is None:
        lang = g.portal_lang = choose_lang()
    return str(lang)


def remember_lang(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def gettext(message: str, **values: object) -> str:
    """``message`` in the current language, with ``%(name)s`` values filled in."""
    text = PT_BR.get(message, message) if current_lang() == "pt-BR" else message
    return text % values if values else text


def money(amount: Decimal, currency: str = "BRL") -> str:
    if current_lang() == "pt-BR" or currency == "BRL":
        return format_brl(Money(amount, "BRL"))
    return f"{amount:,.2f} {currency}"


def points(amount: Decimal) -> str:
    whole = int(amount)
    text = f"{whole:,}"
    return text.replace(",", ".") if current_lang() == "pt-BR" else text


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(_zone()).date()
    return value.strftime("%d/%m/%Y") if current_lang() == "pt-BR" else value.isoformat()


def datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(_zone())
    return (
        local.strftime("%d/%m/%Y %H:%M")
        if current_lang() == "pt-BR"
        else local.strftime("%Y-%m-%d %H:%M")
    )


def _zone() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Sao_Paulo")
