"""Fixtures for the sale-flow tests: an agent on real SQLite files with a seeded cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.service import Agent
from loyalty.identification import card_number, cpf_hash
from loyalty.rewards import make_voucher_code
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    earn_change,
    make_agent,
    member_change,
)

CPF = "52998224725"
VOUCHER = make_voucher_code(bytes(8))


def voucher_change(seq: int, code: str) -> dict[str, object]:
    return {
        "seq": seq,
        "type": "voucher",
        "id": "V1",
        "deleted": False,
        "data": {
            "voucher_id": "V1",
            "code": code,
            "name": "R$ 10 off",
            "percent": None,
            "amount": "10.00",
            "min_subtotal": "20.00",
            "valid_from": "2026-01-01T00:00:00+00:00",
            "valid_until": "2026-12-31T00:00:00+00:00",
            "max_uses": 1,
            "stores": None,
            "member_id": None,
            "campaign_id": None,
            "void": False,
            "accepted_sale_ids": [],
        },
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def agent(tmp_path: Path, clock: Clock) -> Iterator[Agent]:
    changes = [
        member_change(1, "M1", cpf_hash=cpf_hash(CPF, b"h" * 32)),
        card_change(2, card_number(1), "M1"),
        member_change(3, "M2", name="João Souza"),
        card_change(4, card_number(2), "M2", status="blocked"),
        campaign_change(5),
        earn_change(6, "E:HQ:S1:000000000001", "M1", "5000"),
        earn_change(7, "E:HQ:S1:000000000002", "M1", "45.00", currency="cashback"),
        voucher_change(8, VOUCHER),
    ]
    a = make_agent(tmp_path, changes, clock)
    yield a
    a.close()
