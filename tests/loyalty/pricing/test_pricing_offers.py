"""Personal offers priced beside the chain's campaigns (``price(..., personal=...)``).

The property: a member's offers priced as a personal rule set give exactly what the same
rules would give written into the campaign for that member alone. Then the offer's own
rules: activation, window, other members, and an offer the campaign already carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given

from loyalty.pricing import CampaignError, compile_rules, offer_rule, personal_ruleset, price

from .pricing_helpers import AT, line, member, rule
from .test_pricing_properties import SETTINGS, amounts, baskets, members, rule_sets

TZ = "America/Sao_Paulo"
CAFE = [line("CAFE", 2, "15.00")]
OFFER_RULE = rule("any", "member_price", sku="CAFE", price="9.90", name="Sua oferta")


def offer(offer_id: str = "of-1", member_id: str = "m1", **fields: Any) -> dict[str, Any]:
    return {
        "id": offer_id,
        "member_id": member_id,
        "rule": fields.pop("rule", OFFER_RULE),
        "requires_activation": False,
        "starts_at": None,
        "ends_at": None,
        "active": True,
    } | fields


def total(offers: list[dict[str, Any]], who: Any, chain: Sequence[dict[str, Any]] = ()) -> int:
    ruleset = compile_rules({"timezone": TZ, "rules": list(chain)})
    ids = {r["id"] for r in chain}
    personal = personal_ruleset(offers, TZ, ids)
    return price(ruleset, CAFE, who, None, AT, personal=personal).total_cents


@SETTINGS
@given(rule_sets(), rule_sets(), baskets, members)
def test_offers_price_as_the_same_rules_in_the_campaign(
    chain: list[dict[str, Any]], extra: list[dict[str, Any]], basket: Any, who: Any
) -> None:
    offers = [offer(f"of-{r['id']}", rule=r) for r in extra]
    apart = price(
        compile_rules({"timezone": TZ, "rules": chain}),
        basket,
        who,
        None,
        AT,
        personal=personal_ruleset(offers, TZ),
    )
    together = compile_rules({"timezone": TZ, "rules": chain + [offer_rule(o) for o in offers]})
    assert amounts(apart) == amounts(price(together, basket, who, None, AT))
    explained = {e.id for ln in apart.lines for e in ln.discounts}
    assert explained <= {r["id"] for r in chain} | {o["id"] for o in offers}


def test_an_offer_needs_no_copy_in_a_campaign() -> None:
    assert total([offer()], member("m1")) == 1980
    assert total([offer()], member("m2")) == 3000  # another member's offer
    assert total([offer()], None) == 3000  # anonymous
    assert total([offer(active=False)], member("m1")) == 3000


def test_activation_and_window() -> None:
    needs = offer(requires_activation=True)
    assert total([needs], member("m1")) == 3000
    assert total([needs], member("m1", activated_offers={"of-1"})) == 1980
    later = (AT + timedelta(days=1)).isoformat()
    earlier = (AT - timedelta(days=1)).isoformat()
    assert total([offer(starts_at=later)], member("m1")) == 3000
    assert total([offer(ends_at=earlier)], member("m1")) == 3000
    assert total([offer(starts_at=earlier, ends_at=later)], member("m1")) == 1980
    # The server writes UTC without an offset: 12:30 UTC is before AT (13:00 UTC), though
    # 12:30 in São Paulo would be after it.
    naive = (AT - timedelta(minutes=30)).replace(tzinfo=None).isoformat()
    assert total([offer(starts_at=naive)], member("m1")) == 1980


def test_an_offer_the_campaign_carries_is_not_applied_twice() -> None:
    chain = [
        rule("of-1", "member_price", sku="CAFE", price="9.90", audience={"member_ids": ["m1"]}),
        rule("pct", "percent_off", percent="10", applies_to={"skus": ["CAFE"]}),
    ]
    cheaper = offer(rule=rule("x", "member_price", sku="CAFE", price="5.00"))
    # The campaign's copy prices it (9.90, then 10 % off); the offer's own rule is not added.
    assert total([cheaper], member("m1"), chain) == 1782


def test_the_explanation_names_the_offer() -> None:
    ruleset = compile_rules({"timezone": TZ, "rules": []})
    result = price(ruleset, CAFE, member("m1"), None, AT, personal=personal_ruleset([offer()], TZ))
    (explained,) = result.lines[0].discounts
    assert (explained.id, explained.name, explained.amount_cents) == ("of-1", "Sua oferta", 1020)


def test_a_broken_offer_rule_is_a_campaign_error_naming_it() -> None:
    with pytest.raises(CampaignError, match="of-9"):
        personal_ruleset([offer("of-9", rule={"kind": "member_price", "name": "x"})], TZ)
