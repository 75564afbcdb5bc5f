"""At the till, every earning kind shows on the quote what the ledger books and the balance holds.

GIVEN a campaign of each earning kind of the currency table (``loyalty.rewards.currency``)
WHEN a member's basket is priced and the sale finalised
THEN the quote's ``points_earned`` / ``cashback_earned`` / ``raffle_tickets``, the ledger
entries in the outbox event and the balance in the answer agree: a kind cannot show points on
the quote and book none (issue 28, defect 6).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.journal.store import unpack
from loyalty.identification import card_number
from loyalty.rewards import EARNING_KINDS, Earns
from tests.agent.sale.test_raffle_numbers import block_change, raffle_change
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    line,
    make_agent,
    member_change,
)
from tests.loyalty.rewards.test_currency import EXAMPLES

BASKET = [line("A", qty="3", price="12.35"), line("S1", price="41.20")]


@pytest.mark.parametrize("kind", sorted(EARNING_KINDS))
def test_quote_entries_and_balance_agree(tmp_path: Path, kind: str) -> None:
    rules = [{**r, "audience": {"members_only": True}} for r in EXAMPLES[kind]]
    changes: list[dict[str, Any]] = [
        member_change(1, "M1"),
        card_change(2, card_number(1), "M1"),
        campaign_change(3, {"timezone": "America/Sao_Paulo", "rules": rules}),
        raffle_change(4),
        block_change(5, "B1", 0, 100, "T0001"),
    ]
    agent = make_agent(tmp_path, changes, Clock())
    try:
        agent.sales.identify("p1", card_number(1))
        quote = agent.sales.price("p1", BASKET)
        answer = agent.sales.finalise("p1")
        (payload,) = [
            json.loads(unpack(p))
            for t, p in agent.journal.conn.execute("SELECT type, payload FROM outbox")
            if t == "sale"
        ]
    finally:
        agent.close()
    earned = {"points": Decimal(0), "cashback": Decimal(0)}
    for e in payload.get("ledger_entries", []):
        assert e["kind"] == "earn"
        earned[e["currency"]] += Decimal(e["amount"])
    what = EARNING_KINDS[kind]
    assert quote["points_earned"] == answer["points_earned"] == int(earned["points"])
    assert Decimal(quote["cashback_earned"]) == earned["cashback"]
    assert answer["balance"]["points"] == int(earned["points"])
    cash = Decimal(answer["balance"]["cashback"]) + Decimal(answer["balance"]["cashback_pending"])
    assert cash == earned["cashback"]
    tickets = len(payload.get("raffle_tickets", []))
    assert sum(quote["raffle_tickets"].values()) == tickets
    # the kind earned something, and only in the currency the table names
    got = {
        Earns.POINTS: earned["points"],
        Earns.CASHBACK: earned["cashback"],
        Earns.RAFFLE: Decimal(tickets),
    }
    assert got[what] > 0
    assert all(v == 0 for k, v in got.items() if k is not what)
