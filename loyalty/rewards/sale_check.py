"""Re-check a recorded sale's rewards: what the till booked against what the rules give.

The server re-prices every pushed sale with the same pricing code as the till; this module
compares the result's per-rule rewards with the ledger entries and raffle tickets the till
sent, with the same bridge the till used (:func:`loyalty.rewards.earning.rule_rewards`), and
checks the sale's redemptions against the amount due and the shared BRL cap per sale
(:mod:`loyalty.rewards.sale_tenders`). A difference is reported, never raised: the shopper
has left, so the server flags the sale for head office (``reprice_status = mismatch``).

Each difference is ``{"till": ..., "server": ...}`` under a stable key: ``points`` and
``cashback`` (totals earned), ``by_rule`` (the totals agree but the rules they are booked to
do not), ``raffle:<campaign>`` (tickets), ``redeemed`` (BRL paid by points and cashback, more
than the sale's total) and ``redeem_per_sale`` (more than the cap per sale).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from loyalty.money import Money

from .earning import EarnedDetail, rule_rewards
from .ledger import CENT, Currency, EntryKind, LedgerEntry
from .points import PointsConfig
from .sale_tenders import brl_value

Differences = dict[str, dict[str, str]]
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TenderLimits:
    """What the server knows of the tills' tender rules: the points' value and the BRL cap
    per sale that points and cashback share (``None``: not checked)."""

    points: PointsConfig
    max_redeem_per_sale: Money | None = None


def _text(value: Decimal | int) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def check_sale_rewards(
    details: Iterable[EarnedDetail],
    entries: Iterable[LedgerEntry],
    *,
    total: Money,
    raffle_tickets: Mapping[str, int] | None = None,
    limits: TenderLimits | None = None,
) -> Differences:
    """The differences between a sale's booked rewards and the rules' (empty: they agree).

    :param details: the re-priced sale's per-rule rewards (``PricingResult.rewards.details``).
    :param entries: the ledger entries the till sent with the sale.
    :param total: the sale's total (what redemptions may pay at most).
    :param raffle_tickets: tickets the till issued per raffle campaign (``None``: not checked).
    :param limits: the tender rules (``None``: redemptions are not checked).
    """
    entries = list(entries)
    rules: dict[tuple[str, Currency], Decimal] = {}
    tickets: dict[str, int] = {}
    for reward in rule_rewards(details):
        if reward.points:
            rules[(reward.rule_id, Currency.POINTS)] = Decimal(reward.points)
        if reward.cashback.amount:
            rules[(reward.rule_id, Currency.CASHBACK)] = reward.cashback.amount
        for campaign, count in reward.raffle_tickets.items():
            tickets[campaign] = tickets.get(campaign, 0) + count
    booked: dict[tuple[str, Currency], Decimal] = {}
    for e in entries:
        if e.kind is EntryKind.EARN:
            key = (e.rule_id or "", e.currency)
            booked[key] = booked.get(key, _ZERO) + e.amount
    out: Differences = {}
    for currency in Currency:
        till = sum((a for (_, c), a in booked.items() if c is currency), _ZERO)
        server = sum((a for (_, c), a in rules.items() if c is currency), _ZERO)
        if till != server:
            if currency is Currency.CASHBACK:
                till, server = till.quantize(CENT), server.quantize(CENT)
            out[currency.value] = {"till": _text(till), "server": _text(server)}
    if not out and {k: v for k, v in booked.items() if v} != rules:
        out["by_rule"] = {"till": _by_rule(booked), "server": _by_rule(rules)}
    if raffle_tickets is not None:
        for campaign in sorted(set(raffle_tickets) | set(tickets)):
            till_n, server_n = raffle_tickets.get(campaign, 0), tickets.get(campaign, 0)
            if till_n != server_n:
                out[f"raffle:{campaign}"] = {"till": str(till_n), "server": str(server_n)}
    if limits is not None:
        # Points pay their value as one tender: rounding each lot's part down would undercount.
        redeemed = {
            c: -sum(
                (e.amount for e in entries if e.currency is c and e.kind is EntryKind.REDEEM), _ZERO
            )
            for c in Currency
        }
        paid = sum((brl_value(c, a, limits.points) for c, a in redeemed.items()), _ZERO)
        if paid > total.amount:
            out["redeemed"] = {"till": _text(paid), "server": _text(total.amount)}
        cap = limits.max_redeem_per_sale
        if cap is not None and paid > cap.amount:
            out["redeem_per_sale"] = {"till": _text(paid), "server": _text(cap.amount)}
    return out


def _by_rule(amounts: Mapping[tuple[str, Currency], Decimal]) -> str:
    return "; ".join(
        f"{rule or '-'} {currency.value} {_text(a)}"
        for (rule, currency), a in sorted(
            amounts.items(), key=lambda kv: (kv[0][0], kv[0][1].value)
        )
        if a
    )
