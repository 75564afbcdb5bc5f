"""The public contract in ``docs/``: the schema, the examples and the engine agree."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from loyalty.pricing import (
    CampaignError,
    RuleKind,
    campaign_to_json,
    compile_rules,
    parse_basket,
    parse_campaign,
    parse_member,
)

DOCS = Path(__file__).resolve().parents[3] / "docs"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(
        json.loads((DOCS / "campaign.schema.json").read_text(encoding="utf-8"))
    )


def test_the_example_campaign_is_valid_for_schema_and_engine(validator: Any) -> None:
    doc = json.loads((DOCS / "examples" / "campaign.json").read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(doc)] == []
    ruleset = compile_rules(load(DOCS / "examples" / "campaign.json"))
    assert {r.kind for r in ruleset.rules} == set(RuleKind)  # one example of every kind
    parse_basket(load(DOCS / "examples" / "basket.json"))
    parse_member(load(DOCS / "examples" / "member.json"))


@pytest.mark.parametrize(
    "bad_rule",
    [
        {"id": "r", "kind": "percent_off", "name": "n", "percent": 150},
        {"id": "r", "kind": "percent_off", "name": "n", "pecent": 10},
        {"id": "r", "kind": "percent_off", "name": "n"},
        {"id": "r", "kind": "nope", "name": "n"},
        {
            "id": "r",
            "kind": "member_price",
            "name": "n",
            "sku": "A",
            "price": "1.00",
            "stackable": True,
        },
        {"id": "r", "kind": "amount_off", "name": "n", "amount": "-1"},
        {"id": "r", "kind": "take_pay", "name": "n", "take": 1, "pay": 0},
        {"id": "r", "kind": "points", "name": "n", "per_amount": "1", "points": 1, "priority": 3},
        {"id": "r", "kind": "percent_off", "name": "n", "percent": 5, "applies_to": {}},
        {"id": "r", "kind": "percent_off", "name": "n", "percent": 5, "valid": {"weekdays": [8]}},
        {"kind": "percent_off", "name": "n", "percent": 5},
        {
            "id": "r",
            "kind": "percent_off",
            "name": "n",
            "percent": 5,
            "exclusive": True,
            "stackable": True,
        },
        {"id": "r", "kind": "cashback", "name": "n", "percent": 5, "exclusive": True},
    ],
)
def test_schema_and_engine_both_reject(validator: Any, bad_rule: dict[str, Any]) -> None:
    doc = {"rules": [bad_rule]}
    assert not validator.is_valid(doc)
    with pytest.raises(CampaignError):
        compile_rules(doc)


def test_the_format_document_covers_every_kind() -> None:
    text = (DOCS / "campaign-format.md").read_text(encoding="utf-8")
    missing = [k.value for k in RuleKind if f"`{k.value}`" not in text]
    assert missing == []


def test_the_example_campaign_exports_to_a_valid_file_with_the_same_rules(validator: Any) -> None:
    campaign = parse_campaign(load(DOCS / "examples" / "campaign.json"))
    exported = campaign_to_json(campaign)
    assert validator.is_valid(exported)
    assert parse_campaign(exported) == campaign
    assert exported["rules"][0] == {
        "id": "club-arroz",
        "kind": "member_price",
        "name": "Preço Clube",
        "sku": "7891000100103",
        "price": "21.90",
        "audience": {"members_only": True},
    }
    sorteio = next(r for r in exported["rules"] if r["id"] == "sorteio-verao")
    assert sorteio["valid"] == {"from": "2026-01-05", "until": "2026-03-31"}
