"""Head office's segments reach the till: rules with ``audience.segments`` fire there."""

from __future__ import annotations

from pathlib import Path

from tests.agent.sale.world import Clock, campaign_change, card_change, line, make_agent

SEGMENTED = {
    "timezone": "America/Sao_Paulo",
    "rules": [
        {
            "id": "vip-10",
            "kind": "percent_off",
            "name": "VIP -10%",
            "percent": "10",
            "audience": {"segments": ["value:most_valuable"]},
        }
    ],
}


def _member(seq: int, member_id: str, segments: list[str]) -> dict[str, object]:
    data = {"id": member_id, "name": "Vera", "cpf_hash": None, "birth_date": None,
            "active": True, "consent_marketing": False, "segments": segments}  # fmt: skip
    return {"seq": seq, "type": "member", "id": member_id, "deleted": False, "data": data}


def test_a_segment_rule_fires_only_for_members_in_the_segment(tmp_path: Path) -> None:
    agent = make_agent(
        tmp_path,
        [
            campaign_change(1, SEGMENTED),
            _member(2, "VIP", ["rfm:champions", "value:most_valuable"]),
            card_change(3, "2900000000018", "VIP"),
            _member(4, "ANY", ["rfm:new", "value:intermediate"]),
            card_change(5, "2900000000025", "ANY"),
        ],
        Clock(),
    )
    try:
        agent.sales.identify("s1", "2900000000018")
        vip = agent.sales.price("s1", [line("ARROZ", "1", "20.00")])
        agent.sales.identify("s2", "2900000000025")
        other = agent.sales.price("s2", [line("ARROZ", "1", "20.00")])
    finally:
        agent.close()
    assert vip["total"] == "18.00"
    assert vip["lines"][0]["discounts"][0]["name"] == "VIP -10%"
    assert other["total"] == "20.00"
