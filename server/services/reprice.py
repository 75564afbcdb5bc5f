"""Re-price a pushed sale with the campaigns in force when it happened, with the till's code.

The campaigns become the store's rule set at the sale's ``occurred_at`` through
``loyalty.pricing.ruleset_builder`` (schedules, merge order and time zone as at the till: the
store's own ``stores.timezone`` first, the one the till pulled in its ``store`` record),
and the sale becomes pricing inputs through ``loyalty.pricing.sale_inputs``. A difference is
flagged on the sale (``reprice_status = mismatch`` and a flag in the push answer), never a
rejection: the shopper has already left. A sale the engine cannot read is ``error``.
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
from loyalty.pricing import personal_ruleset, price
from loyalty.pricing.ruleset_builder import PublishedCampaign, StoreRules
from loyalty.pricing.sale_inputs import pricing_inputs
from loyalty.rewards import TenderLimits, check_sale_rewards

from ..models import Campaign, MemberOffer, Store
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
    """The published campaigns per store, rebuilt when any campaign changes (by change_seq);
    each store's rule sets are compiled once per segment of the schedule, on first need."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int, int, int] | None = None
        self._campaigns: list[PublishedCampaign] = []
        self._zones: dict[str, str | None] = {}
        self._stores: dict[str, StoreRules] = {}

    def repricer(
        self,
        session: Session,
        vouchers: VoucherLoader,
        offers: OfferLoader | None = None,
        tenders: TenderLimits | None = None,
    ) -> Repricer:
        """A re-pricing function for one push, with the campaigns as published now.

        :param offers: a member's personal offers (wire form), priced beside the campaigns
            as the till does (``None``: campaigns only).
        :param tenders: the tills' tender rules, to re-check redemptions (``None``: not).
        """
        # A store's zone change (its change_seq moves) rebuilds too; one round trip.
        stores_seq = select(func.coalesce(func.max(Store.change_seq), 0)).scalar_subquery()
        count, last, stores = session.execute(
            select(func.count(), func.coalesce(func.max(Campaign.change_seq), 0), stores_seq)
        ).one()
        version = (int(count), int(last), int(stores))
        with self._lock:
            if self._version != version:
                self._campaigns = published_campaigns(session)
                self._zones = store_zones(session)
                self._stores = {}
                self._version = version
            campaigns, zones, stores = self._campaigns, self._zones, self._stores

        def rules_of(store_id: str) -> StoreRules:
            with self._lock:
                found = stores.get(store_id)
                if found is None:
                    zone = zones.get(store_id)
                    found = stores[store_id] = StoreRules(campaigns, store_id, zone)
                return found

        def reprice(sale: SaleRecorded) -> Reprice:
            try:
                inputs = pricing_inputs(sale)
                applications = vouchers(inputs.voucher_codes) if inputs.voucher_codes else []
                ruleset = rules_of(inputs.store_id).at(inputs.at)
                personal = None
                if offers is not None and inputs.member is not None:
                    personal = personal_ruleset(
                        offers(inputs.member.id),
                        ruleset.timezone_for(inputs.store_id),
                        ruleset.by_id,
                    )
                result = price(
                    ruleset,
                    inputs.basket,
                    inputs.member,
                    inputs.store_id,
                    inputs.at,
                    vouchers=applications,
                    coupons=inputs.coupons,  # the rule coupons presented at the till
                    personal=personal,
                )
                return compare(sale, result, tenders)
            except (LoyaltyError, TypeError, ValueError) as exc:
                log.warning(
                    "re-pricing failed",
                    extra={"sale_id": sale.sale_id, "error": type(exc).__name__},
                )
                return Reprice(RepriceStatus.ERROR, {"reason": str(exc)[:200]})

        return reprice


def published_campaigns(session: Session, *, exclude: str | None = None) -> list[PublishedCampaign]:
    """The active published campaigns, with stores and schedules, for the rule-set builder."""
    stmt = select(
        Campaign.id,
        Campaign.document,
        Campaign.version,
        Campaign.store_ids,
        Campaign.valid_from,
        Campaign.valid_until,
    ).where(Campaign.active.is_(True))
    if exclude is not None:
        stmt = stmt.where(Campaign.id != exclude)
    return [
        PublishedCampaign(
            id=r.id,
            document=r.document,
            version=r.version,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            store_ids=None if r.store_ids is None else frozenset(map(str, r.store_ids)),
        )
        for r in session.execute(stmt)
    ]


def store_zones(session: Session) -> dict[str, str | None]:
    """Each store's own time zone (master data; ``None``: not set), for the builder."""
    return {r.id: r.timezone for r in session.execute(select(Store.id, Store.timezone))}


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
