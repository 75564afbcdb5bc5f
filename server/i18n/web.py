"""The request side of the one i18n: an area's language on ``g``, ``gettext`` and its cookie.

An area (head office, the portal) is an :class:`Area`: its messages, the cookie that
remembers a ``?lang=`` choice, and the zone its dates are shown in. Its blueprint calls
:func:`enter` before each request (and its error pages, which may run before that), and
:func:`remember` after it. Views, templates and forms then call :func:`gettext` (``_``) and
the format shortcuts, which read the language and messages of the area entered.

Use cases never import this module (``tests/test_layout.py``): a job or a mail that renders
text takes the language as an argument and calls :func:`server.i18n.translate`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from flask import g, request
from werkzeug.wrappers import Response

from loyalty.money import Money

from . import formats
from .messages import Messages, translate
from .negotiation import DEFAULT, negotiate, normalize

COOKIE_MAX_AGE = 365 * 24 * 3600
R = TypeVar("R", bound=Response)


@dataclass(frozen=True)
class Area:
    """One part of the site with its own messages, language cookie and time zone."""

    messages: Messages
    cookie: str
    zone: dt.tzinfo | None = None


@dataclass(frozen=True)
class _Current:
    area: Area
    lang: str


def enter(area: Area, lang: str | None = None) -> str:
    """Choose this request's language for ``area`` (once: later calls keep the first choice)
    and return it; ``lang`` forces one (tests, a mail in the member's language)."""
    current: _Current | None = g.get("tillclub_i18n")
    if current is None or lang is not None:
        chosen = normalize(lang) or negotiate(
            request.args.get("lang"),
            request.cookies.get(area.cookie),
            request.accept_languages,
        )
        current = g.tillclub_i18n = _Current(area, chosen)
    return current.lang


def remember(response: R) -> R:
    """Keep a ``?lang=`` choice in the area's cookie for a year."""
    current: _Current | None = g.get("tillclub_i18n")
    wanted = normalize(request.args.get("lang"))
    if current is not None and wanted and wanted != request.cookies.get(current.area.cookie):
        response.set_cookie(
            current.area.cookie, wanted, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response


def _current() -> _Current:
    current: _Current | None = g.get("tillclub_i18n")
    if current is None:
        raise RuntimeError("no i18n area entered for this request (call server.i18n.web.enter)")
    return current


def language() -> str:
    """The language of this request (pt-BR before an area was entered)."""
    current: _Current | None = g.get("tillclub_i18n")
    return DEFAULT if current is None else current.lang


def gettext(message: str, **values: object) -> str:
    """``message`` in the request's language, from its area's messages."""
    current = _current()
    return translate(current.area.messages, current.lang, message, **values)


def money(value: Decimal | Money | int | None) -> str:
    return formats.money(value, language())


def number(value: Decimal | int | None) -> str:
    return formats.number(value, language())


def points(value: Decimal | int | None) -> str:
    return formats.points(value, language())


def percent(value: float | Decimal | None) -> str:
    return formats.percent(value, language())


def date(value: dt.date | dt.datetime | None) -> str:
    return formats.date(value, language(), _current().area.zone)


def datetime(value: dt.datetime | None) -> str:
    return formats.datetime(value, language(), _current().area.zone)
