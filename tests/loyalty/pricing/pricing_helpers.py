"""Shared builders for the pricing tests: compact rules, lines and a one-call ``run``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from loyalty.money import Money
from loyalty.pricing import (
    BasketLine,
    MemberContext,
    PricingResult,
    VoucherApplication,
    compile_rules,
    price,
)

# Wednesday 4 March 2026, 10:00 in São Paulo (UTC−3).
AT = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)


def rule(rule_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": rule_id, "kind": kind, "name": fields.pop("name", rule_id), **fields}


def line(
    sku: str,
    qty: int | str,
    unit_price: str,
    category: str = "cat",
    brand: str = "brand",
    tags: Sequence[str] = (),
) -> BasketLine:
    return BasketLine(sku, Decimal(qty), Money(unit_price), category, brand, frozenset(tags))


def member(member_id: str = "m1", **fields: Any) -> MemberContext:
    for key in ("segments", "activated_offers", "coupons"):
        if key in fields:
            fields[key] = frozenset(fields[key])
    return MemberContext(member_id, **fields)


def run(
    rules: list[dict[str, Any]],
    lines: Sequence[BasketLine],
    who: MemberContext | None = None,
    store: str | None = None,
    at: datetime = AT,
    vouchers: Sequence[VoucherApplication] = (),
    coupons: Sequence[str] = (),
    **top: Any,
) -> PricingResult:
    ruleset = compile_rules({"rules": rules, **top})
    return price(ruleset, lines, who, store, at, vouchers=vouchers, coupons=coupons)


def by_rule(result: PricingResult) -> dict[str, int]:
    """Cents of discount per rule/voucher id over the whole basket."""
    out: dict[str, int] = {}
    for ln in result.lines:
        for e in ln.discounts:
            out[e.id] = out.get(e.id, 0) + e.amount_cents
    return out


def nets(result: PricingResult) -> list[int]:
    return [ln.net_cents for ln in result.lines]
