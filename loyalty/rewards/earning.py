"""A finalised sale's rewards, as the pricing engine reports them per rule, into ledger entries.

The pricing engine says what each rule earned (points, cashback, raffle tickets per raffle
campaign); :func:`rule_rewards` sorts that into currencies with the one table of
:mod:`loyalty.rewards.currency`, and :func:`sale_earn_entries` books it: one ``earn`` entry
per rule and currency, so the history shows
which rule gave what (DESIGN.md invariant 5). Points expire ``points.expiry_months`` after the
sale; cashback is pending for ``cashback.maturation_days`` and then expires
``cashback.expiry_days`` later. Raffle tickets are numbered by :mod:`loyalty.rewards.raffle`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from loyalty.money import CENT, Money

from .cashback import CashbackConfig
from .currency import Earns, earns
from .errors import RewardsError
from .ledger import Currency, EntryKind, LedgerEntry
from .months import add_months
from .points import PointsConfig


@dataclass(frozen=True)
class RuleReward:
    """What one earning rule gave on one sale (the pricing engine's per-rule result)."""

    rule_id: str
    points: int = 0
    cashback: Money = field(default_factory=Money.zero)
    raffle_tickets: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.points, int) or isinstance(self.points, bool) or self.points < 0:
            raise RewardsError(
                f"rule {self.rule_id!r}: points must be a whole number >= 0: {self.points!r}",
                f"regra {self.rule_id!r}: pontos devem ser inteiros >= 0: {self.points!r}",
            )
        c = self.cashback.amount
        if c < 0 or c != c.quantize(CENT):
            raise RewardsError(
                f"rule {self.rule_id!r}: cashback must be whole cents >= 0: {self.cashback}",
                f"regra {self.rule_id!r}: cashback deve ser em centavos >= 0: {self.cashback}",
            )
        for campaign, count in self.raffle_tickets.items():
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise RewardsError(
                    f"rule {self.rule_id!r}: raffle tickets for {campaign!r} must be >= 0",
                    f"regra {self.rule_id!r}: números da sorte de {campaign!r} devem ser >= 0",
                )


class EarnedDetail(Protocol):
    """One reward the pricing engine attributes to a rule (``loyalty.pricing.RewardDetail``).

    ``amount`` counts in the unit of what the kind earns (:attr:`Earns.unit`).
    """

    @property
    def rule(self) -> str: ...
    @property
    def kind(self) -> enum.Enum: ...
    @property
    def amount(self) -> int: ...
    @property
    def campaign(self) -> str | None: ...


def rule_rewards(details: Iterable[EarnedDetail]) -> list[RuleReward]:
    """The engine's per-rule rewards as the ledger books them: one value per rule, in the
    order the rules first appear, each currency decided by :func:`loyalty.rewards.currency.earns`.

    :raises UnknownEarningKind: a reward of a kind with no row in the currency table.
    :raises RewardsError: a raffle reward that names no raffle campaign.
    """
    per_rule: dict[str, tuple[list[int], dict[str, int]]] = {}
    for d in details:
        slot = per_rule.get(d.rule)
        if slot is None:
            slot = per_rule[d.rule] = ([0, 0], {})
        what = earns(d.kind)
        if what is Earns.POINTS:
            slot[0][0] += d.amount
        elif what is Earns.CASHBACK:
            slot[0][1] += d.amount
        else:
            if not d.campaign:
                raise RewardsError(
                    f"rule {d.rule!r}: raffle numbers name no raffle campaign",
                    f"regra {d.rule!r}: números da sorte sem campanha de sorteio",
                )
            slot[1][d.campaign] = slot[1].get(d.campaign, 0) + d.amount
    return [
        RuleReward(rule, sums[0], Money.from_cents(sums[1]), raffle)
        for rule, (sums, raffle) in per_rule.items()
    ]


@dataclass(frozen=True)
class SaleEarnings:
    """The entries to append for a sale, and the raffle tickets owed per campaign."""

    entries: tuple[LedgerEntry, ...]
    raffle_tickets: Mapping[str, int]


def sale_earn_entries(
    *,
    sale_id: str,
    member_id: str,
    at: datetime,
    rewards: Iterable[RuleReward],
    new_id: Callable[[], str],
    points_config: PointsConfig,
    cashback_config: CashbackConfig,
    store_id: str | None = None,
    terminal_id: str | None = None,
) -> SaleEarnings:
    """Book a finalised sale's rewards: one ``earn`` entry per rule and currency (none for 0).

    :param at: when the sale was finalised (the till's clock), timezone-aware.
    :param new_id: mints the next entry id at this terminal.
    """
    points_expiry = (
        add_months(at, points_config.expiry_months) if points_config.expiry_months else None
    )
    made: list[LedgerEntry] = []
    tickets: dict[str, int] = {}

    def earn(
        currency: Currency,
        amount: Decimal,
        rule_id: str,
        available_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        made.append(
            LedgerEntry(
                entry_id=new_id(),
                member_id=member_id,
                currency=currency,
                kind=EntryKind.EARN,
                amount=amount,
                effective_at=at,
                sale_id=sale_id,
                rule_id=rule_id,
                store_id=store_id,
                terminal_id=terminal_id,
                available_at=available_at,
                expires_at=expires_at,
            )
        )

    for reward in rewards:
        if reward.points:
            earn(Currency.POINTS, Decimal(reward.points), reward.rule_id, expires_at=points_expiry)
        if reward.cashback.amount:
            earn(
                Currency.CASHBACK,
                reward.cashback.amount.quantize(CENT),
                reward.rule_id,
                available_at=cashback_config.available_at(at),
                expires_at=cashback_config.expires_at(at),
            )
        for campaign, count in reward.raffle_tickets.items():
            if count:
                tickets[campaign] = tickets.get(campaign, 0) + count
    return SaleEarnings(tuple(made), tickets)
