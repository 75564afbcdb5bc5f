"""Head-office reports over a period and optionally one store: sales and identification
rate, new members, points and cashback issued/redeemed/expired with the outstanding
liability in BRL, redemption rate per voucher campaign, discounts per rule, and the top
products bought by members. Days are UTC days. Every table has a CSV export.

Each function takes a ``Filter`` (period ``[start, end)`` and the stores the user may see)
and returns plain rows the page charts and the CSV writer share.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import (
    LedgerEntryRow,
    Member,
    Product,
    Sale,
    SaleAppliedRule,
    SaleLine,
    Voucher,
    VoucherBatch,
    VoucherUseRow,
)


@dataclass(frozen=True)
class Filter:
    start: dt.datetime
    end: dt.datetime
    stores: frozenset[str] | None  # None: all stores

    def sales(self, stmt: Any) -> Any:
        stmt = stmt.where(Sale.occurred_at >= self.start, Sale.occurred_at < self.end)
        return stmt.where(Sale.store_id.in_(self.stores)) if self.stores is not None else stmt


def _day(value: Any) -> str:
    return str(value)[:10]


def _days(f: Filter) -> list[str]:
    out, d = [], f.start.date()
    while d < f.end.date() or (d == f.end.date() and f.end.time() != dt.time()):
        out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


def sales_by_day(s: Session, f: Filter) -> list[dict[str, Any]]:
    day = func.date(Sale.occurred_at)
    stmt = f.sales(
        select(
            day,
            func.count(),
            func.sum(case((Sale.member_id.is_not(None), 1), else_=0)),
            func.sum(Sale.total),
            func.sum(Sale.discount_total),
        )
    ).group_by(day)
    found = {_day(d): (n, ident, total, disc) for d, n, ident, total, disc in s.execute(stmt)}
    rows = []
    for d in _days(f):
        n, ident, total, disc = found.get(d, (0, 0, Decimal(0), Decimal(0)))
        rows.append(
            {
                "day": d,
                "sales": int(n),
                "identified": int(ident or 0),
                "rate": (int(ident or 0) / n) if n else 0.0,
                "total": Decimal(total or 0),
                "discounts": Decimal(disc or 0),
            }
        )
    return rows


def new_members_by_day(s: Session, f: Filter) -> list[dict[str, Any]]:
    day = func.date(Member.created_at)
    stmt = select(day, func.count()).where(Member.created_at >= f.start, Member.created_at < f.end)
    if f.stores is not None:
        stmt = stmt.where(Member.enrolled_store_id.in_(f.stores))
    found = {_day(d): n for d, n in s.execute(stmt.group_by(day))}
    return [{"day": d, "new_members": int(found.get(d, 0))} for d in _days(f)]


def _ledger_scope(stmt: Any, f: Filter) -> Any:
    if f.stores is not None:
        stmt = stmt.where(LedgerEntryRow.store_id.in_(f.stores))
    return stmt


def rewards_by_day(s: Session, f: Filter, currency: str) -> list[dict[str, Any]]:
    """Issued (earn), redeemed, expired and reversed per day; redeemed/expired as positives."""
    day = func.date(LedgerEntryRow.effective_at)
    stmt = _ledger_scope(
        select(day, LedgerEntryRow.kind, func.sum(LedgerEntryRow.amount)).where(
            LedgerEntryRow.currency == currency,
            LedgerEntryRow.effective_at >= f.start,
            LedgerEntryRow.effective_at < f.end,
        ),
        f,
    ).group_by(day, LedgerEntryRow.kind)
    found: dict[str, dict[str, Decimal]] = {}
    for d, kind, amount in s.execute(stmt):
        found.setdefault(_day(d), {})[kind] = Decimal(amount or 0)
    rows = []
    for d in _days(f):
        k = found.get(d, {})
        rows.append(
            {
                "day": d,
                "issued": k.get("earn", Decimal(0)),
                "redeemed": -k.get("redeem", Decimal(0)),
                "expired": -k.get("expire", Decimal(0)),
                "adjusted": k.get("adjust", Decimal(0)) + k.get("reverse", Decimal(0)),
            }
        )
    return rows


def outstanding(s: Session, f: Filter, currency: str) -> Decimal:
    """The sum of all entries up to the end of the period: what members hold (the liability).

    A deleted (anonymised, inactive) member holds nothing: their points and cashback were lost
    with the account, so they are no liability.
    """
    gone = select(Member.id).where(Member.active.is_(False))
    stmt = _ledger_scope(
        select(func.sum(LedgerEntryRow.amount)).where(
            LedgerEntryRow.currency == currency,
            LedgerEntryRow.effective_at < f.end,
            LedgerEntryRow.member_id.not_in(gone),
        ),
        f,
    )
    return Decimal(s.scalar(stmt) or 0)


def discounts_per_rule(s: Session, f: Filter) -> list[dict[str, Any]]:
    stmt = f.sales(
        select(
            SaleAppliedRule.rule_id,
            SaleAppliedRule.kind,
            func.count(func.distinct(SaleAppliedRule.sale_id)),
            func.sum(SaleAppliedRule.amount),
        ).join(Sale, Sale.sale_id == SaleAppliedRule.sale_id)
    ).group_by(SaleAppliedRule.rule_id, SaleAppliedRule.kind)
    rows = [
        {"rule_id": r, "kind": k, "sales": int(n), "amount": Decimal(a or 0)}
        for r, k, n, a in s.execute(stmt)
    ]
    return sorted(rows, key=lambda x: (-x["amount"], x["rule_id"]))


def redemption_per_campaign(s: Session, f: Filter) -> list[dict[str, Any]]:
    """Per voucher campaign (batch): vouchers issued, vouchers used in the period, the rate."""
    used = select(VoucherUseRow.voucher_id).where(
        VoucherUseRow.used_at >= f.start, VoucherUseRow.used_at < f.end
    )
    if f.stores is not None:
        used = used.where(VoucherUseRow.store_id.in_(f.stores))
    stmt = (
        select(
            Voucher.campaign_id,
            func.count(),
            func.sum(case((Voucher.voucher_id.in_(used), 1), else_=0)),
        )
        .where(Voucher.campaign_id.is_not(None))
        .group_by(Voucher.campaign_id)
    )
    names = dict(s.execute(select(VoucherBatch.id, VoucherBatch.name)).all())
    rows = []
    for cid, issued, n_used in s.execute(stmt):
        rows.append(
            {
                "campaign": cid,
                "name": names.get(cid, cid),
                "issued": int(issued),
                "used": int(n_used or 0),
                "rate": int(n_used or 0) / int(issued) if issued else 0.0,
            }
        )
    return sorted(rows, key=lambda x: x["campaign"])


def top_products(s: Session, f: Filter, limit: int = 15) -> list[dict[str, Any]]:
    stmt = f.sales(
        select(
            SaleLine.sku,
            func.sum(SaleLine.quantity),
            func.sum(SaleLine.net),
            func.count(func.distinct(Sale.member_id)),
        )
        .join(Sale, Sale.sale_id == SaleLine.sale_id)
        .where(Sale.member_id.is_not(None))
    ).group_by(SaleLine.sku)
    rows = [
        {"sku": sku, "quantity": Decimal(q or 0), "net": Decimal(n or 0), "members": int(m)}
        for sku, q, n, m in s.execute(stmt)
    ]
    rows = sorted(rows, key=lambda x: (-x["net"], x["sku"]))[:limit]
    names = (
        dict(
            s.execute(
                select(Product.sku, Product.name).where(Product.sku.in_([r["sku"] for r in rows]))
            ).all()
        )
        if rows
        else {}
    )
    for r in rows:
        r["name"] = names.get(r["sku"], "")
    return rows


def cashback_totals(s: Session, f: Filter) -> dict[str, Decimal]:
    rows = rewards_by_day(s, f, "cashback")
    return {
        "issued": sum((r["issued"] for r in rows), Decimal(0)),
        "redeemed": sum((r["redeemed"] for r in rows), Decimal(0)),
        "outstanding": outstanding(s, f, "cashback"),
    }


REPORTS = ("sales", "members", "points", "cashback", "rules", "campaigns", "products")


def table(s: Session, f: Filter, name: str) -> tuple[list[str], list[Sequence[Any]]]:
    """The header and rows of one report, for CSV. :raises KeyError: unknown report name."""
    if name == "sales":
        rows = sales_by_day(s, f)
        return [
            "day",
            "sales",
            "identified",
            "identification_rate",
            "total_brl",
            "discounts_brl",
        ], [
            [
                r["day"],
                r["sales"],
                r["identified"],
                f"{r['rate']:.4f}",
                f"{r['total']:.2f}",
                f"{r['discounts']:.2f}",
            ]
            for r in rows
        ]
    if name == "members":
        return ["day", "new_members"], [
            [r["day"], r["new_members"]] for r in new_members_by_day(s, f)
        ]
    if name in ("points", "cashback"):
        fmt = "{:.0f}" if name == "points" else "{:.2f}"
        return ["day", "issued", "redeemed", "expired", "adjusted"], [
            [r["day"], *(fmt.format(r[k]) for k in ("issued", "redeemed", "expired", "adjusted"))]
            for r in rewards_by_day(s, f, name)
        ]
    if name == "rules":
        return ["rule_id", "kind", "sales", "discount_brl"], [
            [r["rule_id"], r["kind"], r["sales"], f"{r['amount']:.2f}"]
            for r in discounts_per_rule(s, f)
        ]
    if name == "campaigns":
        return ["campaign", "name", "issued", "used", "redemption_rate"], [
            [r["campaign"], r["name"], r["issued"], r["used"], f"{r['rate']:.4f}"]
            for r in redemption_per_campaign(s, f)
        ]
    if name == "products":
        return ["sku", "name", "quantity", "net_brl", "members"], [
            [r["sku"], r["name"], f"{r['quantity']:f}", f"{r['net']:.2f}", r["members"]]
            for r in top_products(s, f)
        ]
    raise KeyError(name)


def to_csv(header: list[str], rows: list[Sequence[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()
