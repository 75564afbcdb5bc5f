"""The till's loyalty figures for one store day, read from its own journal (works offline).

What a store manager checks at shift close: how many sales named a member, what the club gave
away (discounts, points, cashback, vouchers, raffle numbers) and what shoppers redeemed, and
the refunds that took rewards back. Sales and refunds are read newest first by their sequence
number and the reading stops a margin before the day starts, so a year-old journal costs no
more than the day's rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.l10n import format_brl
from loyalty.money import Money

from .journal import answers

# A till's clock may step back a little (NTP): keep reading this far past the day's start.
CLOCK_MARGIN = timedelta(hours=1)


@dataclass
class ShiftReport:
    store_id: str
    terminal_id: str
    day: str  # ISO date in the store's time zone
    timezone: str
    sales: int = 0
    member_sales: int = 0
    sold: Decimal = Decimal("0.00")
    discounts: Decimal = Decimal("0.00")
    points_earned: int = 0
    points_redeemed: int = 0
    points_redeemed_value: Decimal = Decimal("0.00")
    cashback_earned: Decimal = Decimal("0.00")
    cashback_redeemed: Decimal = Decimal("0.00")
    vouchers_used: int = 0
    voucher_discounts: Decimal = Decimal("0.00")
    raffle_numbers: int = 0
    refunds: int = 0
    refunded: Decimal = Decimal("0.00")
    points_reversed: int = 0  # net points the refunds moved (redeemed back minus earned taken)
    by_rule: dict[str, Decimal] = field(default_factory=dict)  # discount per rule name

    def to_dict(self) -> dict[str, Any]:
        """JSON form: amounts as decimal strings (never floats), as on the wire."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, Decimal):
                out[key] = f"{value:f}"
        out["by_rule"] = {k: f"{v:f}" for k, v in self.by_rule.items()}
        return out


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The store day ``day`` as aware datetimes ``[start, end)``, DST included."""
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def _newest_first(
    conn: sqlite3.Connection, table: str, start: datetime
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """``(occurred_at, answer)`` of ``table``'s rows, newest first, until well before ``start``."""
    column = "occurred_at" if table == "sales" else "NULL"
    rows = conn.execute(f"SELECT {column}, answer FROM {table} ORDER BY seq DESC")
    for occurred_at, blob in rows:
        answer = answers.decode(blob)
        when = occurred_at or answer.get("occurred_at")
        if when is None:  # a refund recorded before refunds carried their time
            continue
        at = datetime.fromisoformat(when)
        if at < start - CLOCK_MARGIN:
            return
        yield at, answer


def shift_report(
    conn: sqlite3.Connection, store_id: str, terminal_id: str, timezone: str, day: date
) -> ShiftReport:
    """The loyalty figures of ``day`` (in ``timezone``) at this till, from its journal."""
    zone = ZoneInfo(timezone)
    start, end = day_bounds(day, zone)
    r = ShiftReport(store_id, terminal_id, day.isoformat(), timezone)
    for at, a in _newest_first(conn, "sales", start):
        if not start <= at < end:
            continue
        r.sales += 1
        r.sold += Decimal(a["total"])
        r.discounts += Decimal(a["discount"])
        for rule in a.get("applied") or []:
            if rule["kind"] == "voucher":
                r.vouchers_used += 1
                r.voucher_discounts += Decimal(rule["amount"])
            name = rule["name"]
            r.by_rule[name] = r.by_rule.get(name, Decimal("0.00")) + Decimal(rule["amount"])
        if a.get("member_id") is None:
            continue
        r.member_sales += 1
        r.points_earned += int(a.get("points_earned") or 0)
        r.points_redeemed += int(a.get("points_redeemed") or 0)
        r.points_redeemed_value += Decimal(a.get("points_value") or "0")
        r.cashback_earned += Decimal(a.get("cashback_earned") or "0")
        r.cashback_redeemed += Decimal(a.get("cashback_redeemed") or "0")
        r.raffle_numbers += sum(int(n) for n in (a.get("raffle_tickets") or {}).values())
    for at, a in _newest_first(conn, "refunds", start):
        if start <= at < end:
            r.refunds += 1
            r.refunded += Decimal(a["amount"])
            r.points_reversed += int(a.get("points_reversed") or 0)
    return r


LABELS = {
    "pt-BR": {
        "title": "Fechamento do clube — loja {store}, caixa {terminal}, {day}",
        "sales": "Vendas: {sales} ({member_sales} com cliente do clube, {share})",
        "sold": "Vendido: {sold}; descontos dados: {discounts}",
        "points": "Pontos: {earned} ganhos, {redeemed} resgatados ({value})",
        "cashback": "Cashback: {earned} ganho, {redeemed} resgatado",
        "vouchers": "Vales usados: {count} ({amount})",
        "raffle": "Números da sorte emitidos: {count}",
        "refunds": "Devoluções: {count} ({amount}), {points} pontos no saldo dos clientes",
        "rules": "Descontos por promoção:",
    },
    "en": {
        "title": "Club shift close — store {store}, till {terminal}, {day}",
        "sales": "Sales: {sales} ({member_sales} with a club member, {share})",
        "sold": "Sold: {sold}; discounts given: {discounts}",
        "points": "Points: {earned} earned, {redeemed} redeemed ({value})",
        "cashback": "Cashback: {earned} earned, {redeemed} redeemed",
        "vouchers": "Vouchers used: {count} ({amount})",
        "raffle": "Raffle numbers issued: {count}",
        "refunds": "Refunds: {count} ({amount}), {points} points on members' balances",
        "rules": "Discounts by promotion:",
    },
}


def format_report(r: ShiftReport, lang: str = "pt-BR") -> str:
    """The report as text for the manager (pt-BR by default, ``en`` too)."""
    t = LABELS["en" if lang.lower().startswith("en") else "pt-BR"]

    def brl(value: Decimal) -> str:
        return format_brl(Money(value))

    share = f"{r.member_sales / r.sales:.0%}" if r.sales else "-"
    lines = [
        t["title"].format(store=r.store_id, terminal=r.terminal_id, day=r.day),
        t["sales"].format(sales=r.sales, member_sales=r.member_sales, share=share),
        t["sold"].format(sold=brl(r.sold), discounts=brl(r.discounts)),
        t["points"].format(
            earned=r.points_earned,
            redeemed=r.points_redeemed,
            value=brl(r.points_redeemed_value),
        ),
        t["cashback"].format(earned=brl(r.cashback_earned), redeemed=brl(r.cashback_redeemed)),
        t["vouchers"].format(count=r.vouchers_used, amount=brl(r.voucher_discounts)),
        t["raffle"].format(count=r.raffle_numbers),
        t["refunds"].format(
            count=r.refunds, amount=brl(r.refunded), points=f"{r.points_reversed:+d}"
        ),
    ]
    if r.by_rule:
        lines.append(t["rules"])
        for name, amount in sorted(r.by_rule.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name}: {brl(amount)}")
    return "\n".join(lines)
