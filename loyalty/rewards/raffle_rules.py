"""One raffle ratio: a campaign's raffle rules must count what the raffle campaign promises.

A raffle campaign's ``spend_per_number`` is what shoppers are shown (the portal, the printed
material) and what is registered with the SPA/MF authorisation; a ``raffle`` rule's
``per_amount`` is what the till counts. They must be the same number, so head office can
never publish one without the other: :func:`check_raffle_rules` refuses a campaign document
whose raffle rule names a raffle with another ratio, and (with ``require_known``) one that
names no raffle at all. It reads the campaign file as JSON (``loyalty.rewards`` does not import
the pricing engine), after the engine has validated it. See ``docs/raffle.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.money import Money

from .errors import RaffleError


class RaffleRatioMismatch(RaffleError):
    """A raffle rule whose ``per_amount`` differs from its raffle's ``spend_per_number``."""

    code = "raffle_ratio_mismatch"

    def __init__(self, rule_id: str, campaign: str, per_amount: str, spend: Money) -> None:
        self.rule_id, self.campaign = rule_id, campaign
        super().__init__(
            f"rule {rule_id!r} gives one raffle number per R$ {per_amount}, but raffle "
            f"{campaign!r} promises one per R$ {spend.amount:f} (its spend per number): "
            f"set per_amount to {spend.amount:f}",
            f"a regra {rule_id!r} dá um número da sorte a cada R$ {per_amount}, mas o sorteio "
            f"{campaign!r} promete um a cada R$ {spend.amount:f} (valor por número): "
            f"use per_amount {spend.amount:f}",
        )


class UnknownRaffle(RaffleError):
    """A raffle rule naming a raffle campaign that does not exist (yet)."""

    code = "unknown_raffle"

    def __init__(self, rule_id: str, campaign: str) -> None:
        self.rule_id, self.campaign = rule_id, campaign
        super().__init__(
            f"rule {rule_id!r} gives numbers of raffle {campaign!r}, which does not exist: "
            "create the raffle (with its authorisation) first",
            f"a regra {rule_id!r} dá números do sorteio {campaign!r}, que não existe: "
            "cadastre o sorteio (com a autorização) antes",
        )


def raffle_rules(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(rule id, raffle campaign id, per_amount)`` of every raffle rule of a campaign file."""
    rules = document.get("rules")
    found = []
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, Mapping) and rule.get("kind") == "raffle":
            found.append(
                (
                    str(rule.get("id", "")),
                    str(rule.get("campaign", "")),
                    str(rule.get("per_amount")),
                )
            )
    return found


def check_raffle_rules(
    document: Mapping[str, Any],
    spend_per_number: Mapping[str, Money],
    *,
    require_known: bool = False,
) -> None:
    """Refuse a campaign file whose raffle rules do not count as their raffles promise.

    :param spend_per_number: the known raffle campaigns' ``spend_per_number``, by id.
    :param require_known: also refuse a rule naming a raffle not in ``spend_per_number``.
    :raises RaffleRatioMismatch: a rule's ``per_amount`` is not its raffle's spend per number.
    :raises UnknownRaffle: ``require_known`` and a rule names an unknown raffle.
    """
    for rule_id, campaign, per_amount in raffle_rules(document):
        spend = spend_per_number.get(campaign)
        if spend is None:
            if require_known:
                raise UnknownRaffle(rule_id, campaign)
            continue
        try:
            same = Decimal(per_amount) == spend.amount
        except InvalidOperation:
            same = False
        if not same:
            raise RaffleRatioMismatch(rule_id, campaign, per_amount, spend)


def check_raffle_against(
    documents: Iterable[Mapping[str, Any]], campaign_id: str, spend: Money
) -> None:
    """Refuse a new raffle ``campaign_id`` whose ratio differs from published rules naming it.

    :raises RaffleRatioMismatch: naming the first such rule.
    """
    for document in documents:
        check_raffle_rules(document, {campaign_id: spend})
