"""The sale event's wire form built straight from cents equals the event's own ``to_dict``.

Finalise writes ``build.sale_event_wire`` (no ``SaleLine``/``Decimal`` objects in between);
the server parses what ``SaleRecorded.to_dict`` defines. For every rule mix, basket, member,
voucher code, raffle ticket and coupon both give the same JSON, and the server's parser
reads it back to the same event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.sale import build
from loyalty.events import EventHeader, TicketLine, event_from_dict
from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, compile_rules, price
from loyalty.rewards import (
    Currency,
    EntryKind,
    LedgerEntry,
    make_entry_id,
    make_event_id,
    make_sale_id,
)
from tests.loyalty.pricing.pricing_helpers import AT
from tests.loyalty.pricing.test_pricing_properties import baskets, members, rule_sets

HEADER = EventHeader(make_event_id("LOJA-01", "T0001", 7), "LOJA-01", "T0001", AT)
SALE_ID = make_sale_id("LOJA-01", "T0001", 3)
ENTRY = LedgerEntry(
    entry_id=make_entry_id("LOJA-01", "T0001", 11),
    member_id="M1",
    currency=Currency.POINTS,
    kind=EntryKind.EARN,
    amount=Decimal(12),
    effective_at=datetime(2026, 3, 4, 15, 0, tzinfo=UTC),
    sale_id=SALE_ID,
    rule_id="pts",
    store_id="LOJA-01",
    terminal_id="T0001",
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule_sets(),
    baskets,
    members,
    st.lists(st.sampled_from(["ABCD-EFGH-JKLM", "NPQR-STUV-WXYZ"]), unique=True, max_size=2),
    st.lists(st.integers(0, 99_999) | st.none(), max_size=3),
    st.lists(st.sampled_from(["ACUCAR20", "CAFE10"]), unique=True, max_size=2),
)
def test_wire_equals_the_event_to_dict(
    rules: list[dict[str, Any]],
    basket: list[BasketLine],
    member: MemberContext | None,
    codes: list[str],
    numbers: list[int | None],
    coupons: list[str],
) -> None:
    result = price(compile_rules({"rules": rules}), basket, member, None, AT)
    member_id = None if member is None else member.id
    entries = [] if member is None else [replace(ENTRY, member_id=member.id)]
    context: dict[str, Any] | None = (
        None if member is None else {"tier": member.tier, "segments": [], "activated_offers": []}
    )
    tickets = tuple(TicketLine(f"R:{i}", "raffle", n) for i, n in enumerate(numbers))
    event = build.sale_event(HEADER, SALE_ID, member_id, basket, result, codes, entries, context)
    event = replace(event, raffle_tickets=tickets, coupon_codes=tuple(coupons))
    quote = build.quote(result, 0, Money.zero(), Money.zero())
    wire = build.sale_event_wire(
        HEADER, SALE_ID, member_id, basket, result, codes, entries, context, quote, tickets, coupons
    )
    assert orjson.dumps(wire) == orjson.dumps(event.to_dict())  # same keys, order and text
    assert event_from_dict(orjson.loads(orjson.dumps(wire))) == event
