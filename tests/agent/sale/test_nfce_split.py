"""NFC-e-safe discounts (issue 28): the per-line discounts of the POS answer add up exactly.

SEFAZ rejects an NFC-e (rejeição 537, "Total do Desconto difere do somatório dos itens") when
the items' ``vDesc`` do not add up to the note's total ``vDesc``. A POS maps each answer line's
discounts to its item's ``vDesc`` (docs/pos-integration.md), so for every rule mix, every
basket and any refund sequence: each discount is whole cents, a line's discounts are its
gross − net, and the lines' discounts add up to the answer's ``discount`` = ``subtotal`` −
``total``; the recorded sale event says the same.
"""

from __future__ import annotations

import json
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.journal.store import unpack
from agent.sale import build
from loyalty.errors import LoyaltyError
from loyalty.identification import card_number
from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, compile_rules, price
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    line,
    make_agent,
    member_change,
)
from tests.loyalty.pricing.pricing_helpers import AT
from tests.loyalty.pricing.test_pricing_properties import baskets, members, rule_sets

CENTS = re.compile(r"^[0-9]+\.[0-9]{2}$")


def assert_nfce_safe(answer: dict[str, Any]) -> None:
    """Every amount whole cents; items' discounts add up to the note's discount."""
    total_discount = Decimal(0)
    for ln in answer["lines"]:
        amounts = [d["amount"] for d in ln["discounts"]]
        assert all(CENTS.match(a) for a in [*amounts, ln["gross"], ln["net"]])
        v_desc = sum((Decimal(a) for a in amounts), Decimal(0))
        assert v_desc == Decimal(ln["gross"]) - Decimal(ln["net"])
        total_discount += v_desc
    assert CENTS.match(answer["discount"])
    assert total_discount == Decimal(answer["discount"])
    assert total_discount == Decimal(answer["subtotal"]) - Decimal(answer["total"])
    assert sum(Decimal(a["amount"]) for a in answer["applied"]) == total_discount


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets(), baskets, members)
def test_the_answer_lines_add_up_for_every_rule_mix(
    rules: list[dict[str, Any]], basket: list[BasketLine], member: MemberContext | None
) -> None:
    result = price(compile_rules({"rules": rules}), basket, member, None, AT)
    assert_nfce_safe(build.quote(result, 0, Money.zero(), Money.zero()))


# Every discount kind at once, with awkward percentages, an exclusive rule and a coupon rule.
CAMPAIGN = {
    "rules": [
        {"id": "pts", "kind": "points", "name": "Pontos", "per_amount": "1.00", "points": 1},
        {"id": "club", "kind": "member_price", "name": "Clube", "sku": "A", "price": "2.97"},
        {"id": "p33", "kind": "percent_off", "name": "-33%", "percent": "33.33",
         "applies_to": {"skus": ["B", "C"]}},
        {"id": "stack", "kind": "percent_off", "name": "-7%", "percent": "7", "stackable": True,
         "priority": 200},
        {"id": "tp", "kind": "take_pay", "name": "3x2", "take": 3, "pay": 2,
         "applies_to": {"skus": ["D"]}},
        {"id": "bundle", "kind": "bundle_price", "name": "2 por 9,99", "price": "9.99",
         "components": [{"applies_to": {"skus": ["E"]}, "qty": 2}]},
        {"id": "cesta", "kind": "basket_percent_off", "name": "Cesta -12,5%", "percent": "12.5",
         "min_subtotal": "30.00", "stackable": True},
        {"id": "r3", "kind": "basket_amount_off", "name": "R$ 3", "amount": "3.00",
         "min_subtotal": "20.00"},
        {"id": "black", "kind": "basket_percent_off", "name": "Black", "percent": "19",
         "exclusive": True, "min_subtotal": "80.00"},
        {"id": "cupom", "kind": "amount_off", "name": "Cupom", "amount": "0.33",
         "coupon": "TREZE", "applies_to": {"skus": ["A", "E"]}},
    ]
}  # fmt: skip
PRICES = {"A": "3.33", "B": "9.99", "C": "38.58", "D": "4.49", "E": "6.66"}
item = st.tuples(st.sampled_from(sorted(PRICES)), st.integers(1, 12))
sale_case = st.tuples(
    st.lists(item, min_size=1, max_size=8),
    st.booleans(),  # member identified
    st.booleans(),  # coupon presented
    st.lists(st.integers(1, 6000), max_size=4),  # refunds, in cents
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(sale_case, min_size=1, max_size=3))
def test_the_answer_and_the_event_add_up_through_any_refund_sequence(
    cases: list[tuple[list[tuple[str, int]], bool, bool, list[int]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        changes = [
            member_change(1, "M1"),
            card_change(2, card_number(1), "M1"),
            campaign_change(3, CAMPAIGN),
        ]
        agent = make_agent(Path(tmp), changes, Clock())
        try:
            for n, (items, identified, coupon, refunds) in enumerate(cases):
                pos = f"p{n}"
                if identified:
                    agent.sales.identify(pos, card_number(1))
                basket = [line(sku, str(q), PRICES[sku]) for sku, q in items]
                quote = agent.sales.price(pos, basket, ["TREZE"] if coupon else [])
                assert_nfce_safe(quote)
                answer = agent.sales.finalise(pos)
                assert_nfce_safe(answer)
                for i, cents in enumerate(refunds):
                    try:
                        agent.sales.refund(f"{pos}-r{i}", pos, f"{Decimal(cents) / 100:.2f}")
                    except LoyaltyError:
                        pass  # beyond what is left: refused, nothing changes
                    assert agent.sales.finalise(pos) == answer  # the first answer, always
            rows = agent.journal_conn.execute("SELECT payload FROM outbox").fetchall()
            for event in (json.loads(unpack(r[0])) for r in rows):
                if event["type"] != "sale":
                    continue
                lines = event["lines"]
                assert all(CENTS.match(x["discount"]) for x in lines)
                discounts = sum((Decimal(x["discount"]) for x in lines), Decimal(0))
                assert discounts == Decimal(event["discount_total"])
                assert discounts == Decimal(event["subtotal"]) - Decimal(event["total"])
        finally:
            agent.close()
