"""Money, numbers, percentages, points and dates as each language writes them: the texts the
admin and portal pages showed before the one i18n module, to the character."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from loyalty.money import Money
from server.i18n import formats

UTC = dt.UTC
SP = ZoneInfo("America/Sao_Paulo")


def test_money() -> None:
    """| value | pt-BR | en | brl (either) |
    | 1234.5 | R$ 1.234,50 | R$1,234.50 | R$ 1.234,50 |
    | -5 | -R$ 5,00 | -R$5.00 | -R$ 5,00 |
    | 0.005 | R$ 0,01 | R$0.01 | R$ 0,01 | (half a cent rounds up, as receipts)"""
    assert formats.money(Decimal("1234.5"), "pt-BR") == "R$ 1.234,50"
    assert formats.money(Money("1234.5"), "en") == "R$1,234.50"
    assert formats.money(Decimal("-5"), "pt-BR") == "-R$ 5,00"
    assert formats.money(Decimal("-5"), "en") == "-R$5.00"
    assert formats.money(Decimal("0.005"), "en") == "R$0.01"
    assert formats.money(Decimal("0.005"), "pt-BR") == "R$ 0,01"
    assert formats.brl(Decimal("1234.5")) == "R$ 1.234,50"
    assert formats.brl(Decimal("-5")) == "-R$ 5,00"
    assert formats.money(None, "en") == formats.brl(None) == "—"


def test_numbers_points_and_percentages() -> None:
    assert formats.number(1234567, "pt-BR") == "1.234.567"
    assert formats.number(1234567, "en") == "1,234,567"
    assert formats.number(Decimal("1234.125"), "pt-BR") == "1.234,125"
    assert formats.number(Decimal("1234.125"), "en") == "1,234.125"
    assert formats.points(Decimal("12345.9"), "pt-BR") == "12.345"
    assert formats.points(12345, "en") == "12,345"
    assert formats.percent(0.125, "pt-BR") == "12,5%"
    assert formats.percent(Decimal("0.125"), "en") == "12.5%"
    assert formats.number(None, "en") == formats.percent(None, "en") == "—"


def test_dates_in_the_zone_given_or_as_stored() -> None:
    at = dt.datetime(2026, 11, 23, 2, 10, tzinfo=UTC)  # 22 Nov 23:10 in São Paulo
    assert formats.datetime(at, "pt-BR") == "23/11/2026 02:10"
    assert formats.datetime(at, "en") == "2026-11-23 02:10"
    assert formats.datetime(at, "pt-BR", SP) == "22/11/2026 23:10"
    assert formats.datetime(at, "en", SP) == "2026-11-22 23:10"
    assert formats.date(at, "pt-BR", SP) == "22/11/2026"
    assert formats.date(at, "en", SP) == "2026-11-22"
    assert formats.date(dt.date(1990, 5, 17), "pt-BR") == "17/05/1990"
    assert formats.date(dt.date(1990, 5, 17), "en") == "1990-05-17"
    assert formats.date(None, "en") == formats.datetime(None, "pt-BR") == "—"
