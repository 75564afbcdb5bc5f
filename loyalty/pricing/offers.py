"""Personal offers as rules: one member's offers priced beside the chain's campaigns.

A personal offer (``member_offers`` at the server, ``offers`` in a till's cache) is one rule of
the campaign format for one member, maybe to be activated first, maybe with its own window.
:func:`personal_ruleset` turns a member's offers into a small :class:`RuleSet` that
:func:`loyalty.pricing.price` evaluates beside the chain's (``personal=``), so an offer needs
no copy in a campaign and a till never indexes a million members' offers at once.

An offer keeps working the old way too: an offer whose id is a rule of the chain's campaigns
is left to that rule (never applied twice).

>>> offer = {"id": "of-1", "member_id": "M1", "requires_activation": True,
...          "starts_at": "2026-03-01T00:00:00+00:00", "ends_at": None, "active": True,
...          "rule": {"id": "x", "kind": "member_price", "name": "Sua oferta",
...                   "sku": "CAFE", "price": "9.90"}}
>>> rule = offer_rule(offer)
>>> rule["id"], rule["audience"], rule["requires_activation"], rule["valid"]
('of-1', {'member_ids': ['M1']}, True, {'from': '2026-03-01T00:00:00+00:00'})
>>> offer_rule(offer | {"starts_at": "2026-03-01T00:00:00"})["valid"]  # no offset: UTC
{'from': '2026-03-01T00:00:00+00:00'}
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime
from typing import Any

from .index import RuleSet, compile_rules


def offer_rule(offer: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign-format rule of ``offer`` (its wire form: ``id``, ``member_id``, ``rule``,
    ``requires_activation``, ``starts_at``, ``ends_at``): the offer's id, for its member only,
    within the offer's window where it has one (else the rule's own)."""
    rule = dict(offer["rule"])
    rule["id"] = offer["id"]  # what activations and explanations name
    audience = dict(rule.get("audience") or {})
    audience.pop("members_only", None)  # implied by member_ids
    audience["member_ids"] = [offer["member_id"]]
    rule["audience"] = audience
    if offer.get("requires_activation"):
        rule["requires_activation"] = True
    valid = dict(rule.get("valid") or {})
    if offer.get("starts_at"):
        valid["from"] = _instant(offer["starts_at"])
    if offer.get("ends_at"):
        valid["until"] = _instant(offer["ends_at"])
    if valid:
        rule["valid"] = valid
    return rule


def _instant(text: str) -> str:
    """An offer's start or end as an instant: the server keeps them in UTC, and may write them
    without an offset, which the campaign format would read as the store's local time."""
    try:
        has_offset = datetime.fromisoformat(text).tzinfo is not None
    except (TypeError, ValueError):
        return text  # left for the campaign parser to refuse, naming the offer
    return text if has_offset else text + "+00:00"


def personal_ruleset(
    offers: Iterable[Mapping[str, Any]],
    timezone: str,
    chain_rule_ids: Container[str] = (),
) -> RuleSet | None:
    """The member's active offers as a rule set (``None``: none to price with).

    :param chain_rule_ids: rule ids of the chain's campaigns; an offer with one of them is
        priced by that rule already.
    :raises CampaignError: an offer whose rule is not valid campaign format (naming it).
    """
    rules = [
        offer_rule(o)
        for o in offers
        if o.get("active", True) and o.get("rule") and o["id"] not in chain_rule_ids
    ]
    if not rules:
        return None
    return compile_rules({"timezone": timezone, "rules": rules})
