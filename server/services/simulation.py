"""Simulate a campaign draft: re-price recorded sales with and without its rules.

For every sale of the period (in the campaign's stores), the pricing engine prices the
recorded basket twice with the same member context: once with the rules published today
(``baseline``, the draft's own published version left out) and once with those plus the
draft's rules. The difference is what the draft would have cost: extra discounts, points
(and their liability in BRL at ``ADMIN_POINT_VALUE`` per point) and cashback; the sales and
members where a draft rule fired are who it would have reached.

The rule sets come from ``loyalty.pricing.ruleset_builder`` at each sale's ``occurred_at``,
with the store's own time zone (``stores.timezone``) as at the till and in re-pricing: a
published campaign counts only where its schedule covered the sale. The draft's own schedule is
not applied (it is a what-if on past sales); it takes its place in the merge order by its
campaign id. Each stored sale becomes pricing inputs through ``loyalty.pricing.sale_inputs``
(lines with brand and tags, the member context the till priced with), priced with the member's
active personal offers as re-pricing does.

Limits, stated on the page: the member's tier is the one the last review stored
(``members.tier``) and the segments are those computed now, where the member has them (a
what-if on today's members); otherwise the till's. Vouchers are not applied. Sales recorded
before brand, tags and member context were kept (revision ``ruleset_0001``) have none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.pricing import MemberContext, PricingResult, compile_rules, personal_ruleset, price
from loyalty.pricing.ruleset_builder import PublishedCampaign, StoreRules, merged_document
from loyalty.pricing.sale_inputs import PricingInputs, pricing_inputs
from loyalty.rewards import Earns, earns

from ..models import Member, MemberSegment, Sale, SaleLine
from .recorded_sales import recorded_sale
from .reprice import offers_by_member, published_campaigns, store_zones
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
    # sale id -> (baseline, with the draft), when asked for (``keep_results``)
    priced: dict[str, tuple[PricingResult, PricingResult]] = field(default_factory=dict)

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


def simulate(
    session: Session,
    campaign_id: str,
    draft_document: dict[str, Any],
    store_ids: list[str] | None,
    period_from: dt.datetime,
    period_until: dt.datetime,
    *,
    max_sales: int,
    keep_results: bool = False,
) -> SimulationResult:
    """Re-price the sales of ``[period_from, period_until)`` (see the module docstring).

    :param keep_results: keep each sale's two pricings in ``result.priced`` (tests, audits).

    :raises LoyaltyError: if the draft (with the published campaigns) does not compile.
    """
    published = published_campaigns(session, exclude=campaign_id)
    draft = PublishedCampaign(
        id=campaign_id,
        document=draft_document,
        store_ids=None if store_ids is None else frozenset(store_ids),
    )
    draft_ids = {str(r.get("id")) for r in draft_document.get("rules", [])}
    zones = store_zones(session)  # each store's own zone first, as at the till
    cache: dict[str, tuple[StoreRules, StoreRules]] = {}

    def rulesets(store_id: str) -> tuple[StoreRules, StoreRules]:
        if store_id not in cache:
            zone = zones.get(store_id)
            cache[store_id] = (
                StoreRules(published, store_id, zone),
                StoreRules([*published, draft], store_id, zone),
            )
        return cache[store_id]

    stmt = select(Sale).where(Sale.occurred_at >= period_from, Sale.occurred_at < period_until)
    if store_ids is not None:
        stmt = stmt.where(Sale.store_id.in_(store_ids))
    sales = session.scalars(stmt.order_by(Sale.occurred_at).limit(max_sales + 1)).all()
    result = SimulationResult()
    if len(sales) > max_sales:
        sales, result.truncated = sales[:max_sales], True
    if not sales:
        # Still refuse a draft that does not compile (with every campaign it may meet).
        store = next(iter(sorted(draft.store_ids or ())), "-")
        serving = [c for c in (*published, draft) if c.serves(store)]
        compile_rules(merged_document(serving, store, zones.get(store)))
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
    offers = offers_by_member(session, member_ids)
    reached_members: set[str] = set()
    for sale in sales:
        result.sales += 1
        try:
            inputs = pricing_inputs(recorded_sale(sale, lines[sale.sale_id]))
            member = inputs.member
            if member is not None:
                member = replace(
                    member,
                    tier=tiers.get(member.id, member.tier),
                    segments=frozenset(segments.get(member.id, member.segments)),
                )
            base_rules, new_rules = rulesets(sale.store_id)
            own = offers.get(member.id, []) if member is not None else []
            before = _price(base_rules, inputs, member, own)
            after = _price(new_rules, inputs, member, own)
        except (LoyaltyError, ValueError, TypeError):
            result.errors += 1
            continue
        if keep_results:
            result.priced[sale.sale_id] = (before, after)
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
                what = earns(d.kind)
                if what is Earns.CASHBACK:
                    t.cashback_cents += d.amount
                elif what is Earns.POINTS:
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


def _price(
    rules: StoreRules,
    inputs: PricingInputs,
    member: MemberContext | None,
    offers: list[dict[str, Any]],
) -> PricingResult:
    ruleset = rules.at(inputs.at)
    personal = (
        personal_ruleset(offers, ruleset.timezone_for(inputs.store_id), ruleset.by_id)
        if offers
        else None
    )
    return price(
        ruleset,
        inputs.basket,
        member,
        inputs.store_id,
        inputs.at,
        coupons=inputs.coupons,
        personal=personal,
    )
