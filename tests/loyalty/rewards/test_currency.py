"""One table decides what each earning kind earns; no consumer can silently forget a kind.

GIVEN every earning kind the pricing engine and the campaign schema know
WHEN a member buys under a rule of that kind
THEN the table names its currency, and the engine's totals (what the till's quote shows), the
ledger entries booked from it, the balances those entries give and the server's re-check all
agree, for every kind and any basket.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.pricing import RuleKind, Stage
from loyalty.rewards import (
    EARNING_KINDS,
    CashbackConfig,
    Currency,
    Earns,
    PointsConfig,
    UnknownEarningKind,
    balance,
    check_sale_rewards,
    earns,
    is_earning,
    make_entry_id,
    rule_rewards,
    sale_earn_entries,
)
from tests.loyalty.pricing.pricing_helpers import line, member, rule, run

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)

# One campaign per earning kind; a new kind without an example here fails
# test_every_earning_kind_has_an_example below (and so cannot skip the agreement test).
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "points": [rule("p", "points", per_amount="1.00", points=1)],
    "points_multiplier": [
        rule("p", "points", per_amount="1.00", points=1),
        rule("x2", "points_multiplier", factor="2"),
    ],
    "points_bonus": [rule("b", "points_bonus", points=5, applies_to={"skus": ["A"]})],
    "cashback": [rule("c", "cashback", percent="3")],
    "raffle": [rule("r", "raffle", per_amount="10.00", campaign="natal")],
}


def _schema_kinds() -> set[str]:
    schema = json.loads((ROOT / "docs" / "campaign.schema.json").read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("properties", {}).get("kind") if "properties" in node else None
            if isinstance(kind, dict) and isinstance(kind.get("enum"), list):
                found.update(kind["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_every_earning_kind_of_the_engine_has_a_currency() -> None:
    earning = {k.value for k in RuleKind if k.stage is Stage.EARNING}
    assert earning == set(EARNING_KINDS)
    for kind in RuleKind:
        assert is_earning(kind) is (kind.stage is Stage.EARNING)


def test_every_kind_of_the_schema_is_an_engine_kind_and_earning_ones_have_a_currency() -> None:
    kinds = _schema_kinds()
    assert kinds == {k.value for k in RuleKind}
    assert {k for k in kinds if RuleKind(k).stage is Stage.EARNING} <= set(EARNING_KINDS)


def test_the_table_names_each_currency_and_its_unit() -> None:
    assert {k: v.value for k, v in EARNING_KINDS.items()} == {
        "points": "points",
        "points_multiplier": "points",
        "points_bonus": "points",
        "cashback": "cashback",
        "raffle": "raffle",
    }
    assert Earns.POINTS.ledger_currency is Currency.POINTS
    assert Earns.CASHBACK.ledger_currency is Currency.CASHBACK
    assert Earns.RAFFLE.ledger_currency is None
    assert [e.unit for e in Earns] == ["points", "cents", "tickets"]
    assert earns(RuleKind.POINTS_BONUS) is Earns.POINTS


def test_every_earning_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(EARNING_KINDS)


class NewKind(enum.Enum):
    STAMPS = "stamps"


@dataclass(frozen=True)
class Detail:
    rule: str
    kind: enum.Enum
    amount: int
    campaign: str | None = None


def test_a_kind_missing_from_the_table_is_an_error_never_dropped() -> None:
    """A kind someone added to the engine but not to the table books nothing silently: the
    bridge refuses it, naming the table to edit."""
    with pytest.raises(UnknownEarningKind, match=r"'stamps'.*currency\.py") as caught:
        rule_rewards([Detail("s", NewKind.STAMPS, 3)])
    assert "loyalty/rewards/currency.py" in caught.value.message_pt
    with pytest.raises(UnknownEarningKind):
        earns("percent_off")  # a discount earns nothing


def _entries_for(result: Any) -> tuple[list[Any], dict[str, int]]:
    seq = iter(range(1, 10_000))
    earned = sale_earn_entries(
        sale_id="S:L:T:000000000001",
        member_id="m1",
        at=AT,
        rewards=rule_rewards(result.rewards.details),
        new_id=lambda: make_entry_id("L", "T", next(seq)),
        points_config=PointsConfig(),
        cashback_config=CashbackConfig(maturation_days=0),
    )
    return list(earned.entries), dict(earned.raffle_tickets)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(sorted(EXAMPLES)),
    cents=st.lists(st.integers(1, 500_000), min_size=1, max_size=6),
    qty=st.integers(1, 4),
)
def test_quote_entries_and_balances_agree_for_every_kind(
    kind: str, cents: list[int], qty: int
) -> None:
    basket = [
        line("A" if i % 2 == 0 else f"S{i}", qty, f"{Decimal(c).scaleb(-2):.2f}")
        for i, c in enumerate(cents)
    ]
    result = run(EXAMPLES[kind], basket, member())
    entries, tickets = _entries_for(result)
    later = datetime(2026, 3, 5, tzinfo=UTC)
    points = balance(entries, Currency.POINTS, later).available
    cash = balance(entries, Currency.CASHBACK, later).available
    # what the quote shows (the engine's totals) is what the ledger books and the balance holds
    assert points == Decimal(result.rewards.points)
    assert cash == Money.from_cents(result.rewards.cashback_cents).amount
    assert tickets == {c: n for c, n in result.rewards.raffle_tickets}
    # every reward of the kind is booked in the table's currency, and only there
    wanted = earns(kind)
    booked = {e.currency for e in entries}
    assert booked <= ({wanted.ledger_currency} - {None})
    assert (result.rewards.points > 0) == (Currency.POINTS in booked)
    # and the server's re-check of the same sale finds nothing
    assert (
        check_sale_rewards(
            result.rewards.details,
            entries,
            total=Money.from_cents(result.total_cents),
            raffle_tickets=tickets,
        )
        == {}
    )
