"""Simulate a campaign draft: re-price recorded sales with and without its rules.

For every sale of the period (in the campaign's stores), the pricing engine prices the
recorded basket twice with the same member context: once with the rules published today
(``baseline``, the draft's own published version left out) and once with those plus the
draft's rules. The difference is what the draft would have cost: extra discounts, points
(and their liability in BRL at ``ADMIN_POINT_VALUE`` per point) and cashback; the sales and
members where a draft rule fired are who it would have reached.

Limits, stated on the page: sale lines keep sku, category, quantity and price, not brand or
tags, so rules selecting by brand or tag reach nothing here; the member context carries the
member's segments as computed now and the tier the last review stored (``members.tier``), and
no activations or coupons.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, compile_rules, price

from ..models import Campaign, Member, MemberSegment, Sale, SaleLine
from .segments import member_segment_names


@dataclass
class _Totals:
    discount_cents: int = 0
    points: int = 0
    cashback_cents: int = 0
    sales: int = 0


@dataclass
class SimulationResult:
    sales: int = 0
    sales_reached: int = 0
    members_reached: int = 0
    errors: int = 0
    truncated: bool = False
    delta: _Totals = field(default_factory=_Totals)
    per_rule: dict[str, _Totals] = field(default_factory=lambda: defaultdict(_Totals))
    per_member: dict[str, _Totals] = field(default_factory=lambda: defaultdict(_Totals))

    def to_json(self, point_value: Decimal) -> dict[str, Any]:
        def money(cents: int) -> str:
            return f"{Money.from_cents(cents).amount:f}"

        liability = (Decimal(self.delta.points) * point_value).quantize(Decimal("0.01"))
        top = sorted(
            self.per_member.items(), key=lambda kv: -(kv[1].discount_cents + kv[1].cashback_cents)
        )[:20]
        return {
            "sales": self.sales,
            "sales_reached": self.sales_reached,
            "members_reached": self.members_reached,
            "errors": self.errors,
            "truncated": self.truncated,
            "discount": money(self.delta.discount_cents),
            "points": self.delta.points,
            "points_liability": f"{liability:f}",
            "cashback": money(self.delta.cashback_cents),
            "total_cost": f"{Money.from_cents(self.delta.discount_cents + self.delta.cashback_cents).amount + liability:f}",  # noqa: E501
            "per_rule": {
                rule: {
                    "discount": money(t.discount_cents),
                    "points": t.points,
                    "cashback": money(t.cashback_cents),
                    "sales": t.sales,
                }
                for rule, t in sorted(self.per_rule.items())
            },
            "top_members": [
                {
                    "member_id": m,
                    "discount": money(t.discount_cents),
                    "points": t.points,
                    "cashback": money(t.cashback_cents),
                    "sales": t.sales,
                }
                for m, t in top
            ],
        }


def _merged(docs: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"rules": []}
    for doc in docs:
        merged["rules"].extend(doc.get("rules", []))
        for key in ("timezone", "store_timezones"):
            if key in doc:
                merged.setdefault(key, doc[key])
    return merged


def simulate(
    session: Session,
    campaign_id: str,
    draft_document: dict[str, Any],
    store_ids: list[str] | None,
    period_from: dt.datetime,
    period_until: dt.datetime,
    *,
    max_sales: int,
) -> SimulationResult:
    """Re-price the sales of ``[period_from, period_until)`` (see the module docstring).

    :raises LoyaltyError: if the draft (with the published campaigns) does not compile.
    """
    published = session.execute(
        select(Campaign.id, Campaign.store_ids, Campaign.document).where(
            Campaign.active.is_(True), Campaign.id != campaign_id
        )
    ).all()
    draft_ids = {str(r.get("id")) for r in draft_document.get("rules", [])}
    cache: dict[str, tuple[Any, Any]] = {}

    def rulesets(store_id: str) -> tuple[Any, Any]:
        if store_id not in cache:
            docs = [r.document for r in published if r.store_ids is None or store_id in r.store_ids]
            base = _merged(docs)
            cache[store_id] = (compile_rules(base), compile_rules(_merged([*docs, draft_document])))
        return cache[store_id]

    stmt = select(Sale).where(Sale.occurred_at >= period_from, Sale.occurred_at < period_until)
    if store_ids is not None:
        stmt = stmt.where(Sale.store_id.in_(store_ids))
    sales = session.scalars(stmt.order_by(Sale.occurred_at).limit(max_sales + 1)).all()
    result = SimulationResult()
    if len(sales) > max_sales:
        sales, result.truncated = sales[:max_sales], True
    if not sales:
        rulesets("-")  # still refuse a draft that does not compile
        return result
    lines: dict[str, list[SaleLine]] = defaultdict(list)
    ids = [s.sale_id for s in sales]
    for i in range(0, len(ids), 500):
        for line in session.scalars(select(SaleLine).where(SaleLine.sale_id.in_(ids[i : i + 500]))):
            lines[line.sale_id].append(line)
    member_ids = {s.member_id for s in sales if s.member_id}
    segments = (
        {
            row.member_id: member_segment_names(row)
            for row in session.scalars(
                select(MemberSegment).where(MemberSegment.member_id.in_(member_ids))
            )
        }
        if member_ids
        else {}
    )
    tiers: dict[str, str] = {}
    ordered = sorted(member_ids)
    for i in range(0, len(ordered), 500):
        tiers.update(
            (str(m), str(t))
            for m, t in session.execute(
                select(Member.id, Member.tier).where(
                    Member.id.in_(ordered[i : i + 500]), Member.tier.is_not(None)
                )
            )
        )
    reached_members: set[str] = set()
    for sale in sales:
        result.sales += 1
        try:
            base_rs, new_rs = rulesets(sale.store_id)
            basket = [
                BasketLine(
                    sku=ln.sku,
                    qty=ln.quantity.normalize()
                    if ln.quantity != ln.quantity.to_integral_value()
                    else ln.quantity.to_integral_value(),
                    unit_price=Money(ln.unit_price),
                    category=ln.category_id or "",
                )
                for ln in sorted(lines[sale.sale_id], key=lambda x: x.line_no)
            ]
            member = (
                MemberContext(
                    id=sale.member_id,
                    tier=tiers.get(sale.member_id),
                    segments=frozenset(segments.get(sale.member_id, ())),
                )
                if sale.member_id
                else None
            )
            before = price(base_rs, basket, member, sale.store_id, sale.occurred_at)
            after = price(new_rs, basket, member, sale.store_id, sale.occurred_at)
        except (LoyaltyError, ValueError, TypeError):
            result.errors += 1
            continue
        d_disc = before.total_cents - after.total_cents
        d_pts = after.rewards.points - before.rewards.points
        d_cash = after.rewards.cashback_cents - before.rewards.cashback_cents
        fired = {a.id for a in after.applied if a.source == "rule" and a.id in draft_ids}
        fired |= {d.rule for d in after.rewards.details if d.rule in draft_ids}
        if not fired and not (d_disc or d_pts or d_cash):
            continue
        result.sales_reached += 1
        result.delta.discount_cents += d_disc
        result.delta.points += d_pts
        result.delta.cashback_cents += d_cash
        for a in after.applied:
            if a.source == "rule" and a.id in draft_ids:
                result.per_rule[a.id].discount_cents += a.amount_cents
        for d in after.rewards.details:
            if d.rule in draft_ids:
                t = result.per_rule[d.rule]
                if d.kind.value == "cashback":
                    t.cashback_cents += d.amount
                elif d.kind.value.startswith("points"):
                    t.points += d.amount
        for rule_id in fired:
            result.per_rule[rule_id].sales += 1
        if sale.member_id:
            reached_members.add(sale.member_id)
            m = result.per_member[sale.member_id]
            m.discount_cents += d_disc
            m.points += d_pts
            m.cashback_cents += d_cash
            m.sales += 1
    result.members_reached = len(reached_members)
    return result
