"""Re-price a pushed sale with the campaigns in force, using the same ``loyalty`` code as the till.

A difference is flagged on the sale (``reprice_status = mismatch`` and a flag in the push
answer), never a rejection: the shopper has already left. Until ``loyalty.pricing.price`` is
available, or for a sale the engine cannot read, the status is ``not_checked`` / ``error``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.events import SaleRecorded
from loyalty.money import Money
from loyalty.rewards import TenderLimits, check_sale_rewards

from ..models import Campaign, MemberOffer
from ..models.sales import RepriceStatus

log = logging.getLogger("tillclub.server.reprice")


@dataclass(frozen=True)
class Reprice:
    status: RepriceStatus
    detail: dict[str, Any] | None = None

    @property
    def flag(self) -> dict[str, Any] | None:
        if self.status is RepriceStatus.MISMATCH:
            return {"code": "reprice_mismatch", **(self.detail or {})}
        return None


Repricer = Callable[[SaleRecorded], Reprice]
VoucherLoader = Callable[[Sequence[str]], list[Any]]
OfferLoader = Callable[[str], list[dict[str, Any]]]


def _engine() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    try:
        from loyalty.pricing import compile_rules, price
    except ImportError:  # a build without the pricing engine: sales stay not_checked
        return None
    return compile_rules, price


Offers = dict[str, list[dict[str, Any]]]


def offers_by_member(session: Session, member_ids: Iterable[str]) -> Offers:
    """The active personal offers of ``member_ids`` in their wire form (as tills get them),
    in one query for a whole push."""
    wanted = sorted(set(member_ids))
    found: Offers = {}
    if not wanted:
        return found
    rows = session.scalars(
        select(MemberOffer).where(MemberOffer.member_id.in_(wanted), MemberOffer.active.is_(True))
    )
    for o in rows:
        found.setdefault(o.member_id, []).append(
            {
                "id": o.id,
                "member_id": o.member_id,
                "rule": o.rule,
                "requires_activation": o.requires_activation,
                "starts_at": None if o.starts_at is None else o.starts_at.isoformat(),
                "ends_at": None if o.ends_at is None else o.ends_at.isoformat(),
                "active": o.active,
            }
        )
    return found


class CampaignCache:
    """The compiled campaigns per store, rebuilt when any campaign changes (by change_seq)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._documents: list[tuple[list[str] | None, dict[str, Any]]] = []
        self._compiled: dict[str, Any] = {}

    def repricer(
        self,
        session: Session,
        vouchers: VoucherLoader,
        offers: OfferLoader | None = None,
        tenders: TenderLimits | None = None,
    ) -> Repricer:
        """A re-pricing function for one push, with the campaigns as of now.

        :param offers: a member's personal offers (wire form), priced beside the campaigns
            as the till does (``None``: campaigns only).
        :param tenders: the tills' tender rules, to re-check redemptions (``None``: not).
        """
        engine = _engine()
        if engine is None:
            return lambda sale: Reprice(
                RepriceStatus.NOT_CHECKED, {"reason": "pricing engine not available"}
            )
        compile_rules, price = engine
        version = session.execute(
            select(func.count(), func.coalesce(func.max(Campaign.change_seq), 0))
        ).one()
        with self._lock:
            if self._version != tuple(version):
                rows = session.execute(
                    select(Campaign.store_ids, Campaign.document).where(Campaign.active.is_(True))
                ).all()
                self._documents = [(r.store_ids, r.document) for r in rows]
                self._compiled = {}
                self._version = (version[0], version[1])
            documents = self._documents
            compiled = self._compiled

        def ruleset_for(store_id: str) -> Any:
            if store_id not in compiled:
                merged: dict[str, Any] = {"rules": []}
                for store_ids, doc in documents:
                    if store_ids is None or store_id in store_ids:
                        merged["rules"].extend(doc.get("rules", []))
                        for key in ("timezone", "store_timezones"):
                            if key in doc:
                                merged.setdefault(key, doc[key])
                compiled[store_id] = compile_rules(merged)
            return compiled[store_id]

        def reprice(sale: SaleRecorded) -> Reprice:
            try:
                applications = vouchers(sale.voucher_codes) if sale.voucher_codes else []
                ruleset = ruleset_for(sale.header.store_id)
                personal = None
                if offers is not None and sale.member_id is not None:
                    from loyalty.pricing import personal_ruleset

                    personal = personal_ruleset(
                        offers(sale.member_id),
                        ruleset.timezone_for(sale.header.store_id),
                        ruleset.by_id,
                    )
                result = price(ruleset, *_inputs(sale), vouchers=applications, personal=personal)
                return compare(sale, result, tenders)
            except (LoyaltyError, TypeError, ValueError) as exc:
                log.warning(
                    "re-pricing failed",
                    extra={"sale_id": sale.sale_id, "error": type(exc).__name__},
                )
                return Reprice(RepriceStatus.ERROR, {"reason": str(exc)[:200]})

        return reprice


def _inputs(sale: SaleRecorded) -> tuple[Any, ...]:
    from loyalty.pricing import BasketLine, MemberContext, parse_member

    basket = [
        BasketLine(
            sku=line.sku,
            qty=line.quantity,
            unit_price=Money(line.unit_price, sale.currency),
            category=line.category_id or "",
            brand=line.brand or "",
            tags=frozenset(line.tags),
        )
        for line in sorted(sale.lines, key=lambda x: x.line_no)
    ]
    member: MemberContext | None = None
    if sale.member_id is not None:
        context = dict(sale.member_context or {})
        context["id"] = sale.member_id
        member = parse_member(context)
    return basket, member, sale.header.store_id, sale.header.occurred_at


def compare(sale: SaleRecorded, result: Any, tenders: TenderLimits | None = None) -> Reprice:
    """Compare the till's figures with the engine's: totals, every line's net, and rewards
    (earned per rule, raffle tickets and redemptions: ``loyalty.rewards.check_sale_rewards``)."""
    till = {
        "subtotal": sale.subtotal,
        "total": sale.total,
        "lines": [line.net for line in sorted(sale.lines, key=lambda x: x.line_no)],
    }
    server = {
        "subtotal": Money.from_cents(result.subtotal_cents).amount,
        "total": Money.from_cents(result.total_cents).amount,
        "lines": [Money.from_cents(line.net_cents).amount for line in result.lines],
    }
    differences = {
        k: {"till": _show(till[k]), "server": _show(server[k])}
        for k in till
        if till[k] != server[k]
    }
    tickets: dict[str, int] = {}
    for t in sale.raffle_tickets:
        tickets[t.campaign_id] = tickets.get(t.campaign_id, 0) + 1
    differences |= check_sale_rewards(
        result.rewards.details,
        sale.ledger_entries,
        total=Money(sale.total, sale.currency),
        raffle_tickets=tickets,
        limits=tenders,
    )
    if differences:
        return Reprice(
            RepriceStatus.MISMATCH, {"sale_id": sale.sale_id, "differences": differences}
        )
    return Reprice(RepriceStatus.MATCH, None)


def _show(value: Any) -> Any:
    if isinstance(value, list):
        return [f"{v:f}" for v in value]
    return f"{value:f}"
