"""The pricing result as a JSON-ready dict: amounts as strings (``"12.34"``), points as ints.

This is the output of ``tillclub price`` and the shape receipts and the admin UI read; its names
(lines, subtotal, discount, total, rewards) are a public contract (docs/campaign-format.md).
"""

from __future__ import annotations

from typing import Any

from ..l10n import format_plain
from ..money import Money
from .result import Explanation, PricingResult, RewardDetail


def _amount(cents: int) -> str:
    return format_plain(Money.from_cents(cents))


def _explanation(e: Explanation) -> dict[str, Any]:
    return {
        "rule": e.id,
        "source": e.source,
        "name": e.name,
        "kind": e.kind,
        "stage": e.stage.name.lower(),
        "amount": _amount(e.amount_cents),
    }


def _detail(d: RewardDetail) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": d.rule, "name": d.name, "kind": d.kind.value}
    out["amount"] = _amount(d.amount) if d.cashback is not None else d.amount
    if d.campaign is not None:
        out["campaign"] = d.campaign
    return out


def result_to_json(result: PricingResult) -> dict[str, Any]:
    """``result`` as plain JSON types; ``subtotal`` − ``total`` = ``discount``."""
    return {
        "lines": [
            {
                "sku": line.sku,
                "qty": f"{line.qty:f}",
                "unit_price": format_plain(line.unit_price),
                "weighed": line.weighed,
                "gross": _amount(line.gross_cents),
                "discounts": [_explanation(e) for e in line.discounts],
                "net": _amount(line.net_cents),
            }
            for line in result.lines
        ],
        "subtotal": _amount(result.subtotal_cents),
        "discount": _amount(result.subtotal_cents - result.total_cents),
        "total": _amount(result.total_cents),
        "applied": [
            {
                "rule": a.id,
                "source": a.source,
                "name": a.name,
                "kind": a.kind,
                "stage": a.stage.name.lower(),
                "amount": _amount(a.amount_cents),
            }
            for a in result.applied
        ],
        "vouchers": [
            {
                "voucher_id": o.voucher_id,
                "code": o.code,
                "applied": o.applied,
                "amount": _amount(o.amount_cents),
                "reason": o.reason,
            }
            for o in result.vouchers
        ],
        "coupons": [
            {
                "code": c.code,
                "applied": c.applied,
                "rules": list(c.rules),
                "amount": _amount(c.amount_cents),
                "reason": c.reason,
            }
            for c in result.coupons
        ],
        "rewards": {
            "points": result.rewards.points,
            "cashback": _amount(result.rewards.cashback_cents),
            "raffle_tickets": dict(result.rewards.raffle_tickets),
            "details": [_detail(d) for d in result.rewards.details],
        },
        "store": result.store_id,
        "member": result.member_id,
    }
