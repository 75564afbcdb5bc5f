"""Coupon codes at the till (issue 28, defect 4): presented in the price call or through the
voucher call, they reach pricing, the quote explains them, the finalised sale records them,
and a code that fires no rule is refused with a clear code, changing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.journal.store import unpack
from agent.sale.errors import CouponRefused
from agent.service import Agent
from loyalty.events import SaleRecorded
from loyalty.rewards import InvalidVoucherCode
from tests.agent.sale.world import CAMPAIGN, Clock, campaign_change, line, make_agent

RULES = [
    *CAMPAIGN["rules"],
    {
        "id": "acucar20",
        "kind": "percent_off",
        "name": "Açúcar -20% (cupom)",
        "percent": "20",
        "coupon": "ACUCAR20",
        "applies_to": {"skus": ["ACUCAR"]},
    },
    {
        "id": "natal",
        "kind": "amount_off",
        "name": "Natal",
        "amount": "1.00",
        "coupon": "NATAL",
        "valid": {"from": "2026-12-01"},
    },
]
BASKET = [line("ACUCAR", "2", "5.00"), line("CAFE", "1", "20.00")]


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    doc = {"timezone": "America/Sao_Paulo", "rules": RULES}
    a = make_agent(tmp_path, [campaign_change(1, doc)], Clock())
    yield a  # type: ignore[misc]
    a.close()


def _sale_events(agent: Agent) -> list[dict[str, object]]:
    rows = agent.journal_conn.execute("SELECT payload FROM outbox").fetchall()
    events = [json.loads(unpack(r[0])) for r in rows]
    return [e for e in events if e["type"] == "sale"]


def test_a_coupon_in_the_price_call_fires_its_rule_and_is_recorded(agent: Agent) -> None:
    quote = agent.sales.price("p1", BASKET, ["acucar20"])
    assert quote["total"] == "28.00"
    assert quote["coupons"] == [
        {"code": "ACUCAR20", "applied": True, "rules": ["acucar20"], "amount": "2.00",
         "reason": None}
    ]  # fmt: skip
    again = agent.sales.price("p1", BASKET)  # a re-price keeps the coupon
    assert again["total"] == "28.00"
    answer = agent.sales.finalise("p1")
    assert answer["total"] == "28.00"
    (event,) = _sale_events(agent)
    assert event["coupon_codes"] == ["ACUCAR20"]
    assert SaleRecorded.from_dict(event).coupon_codes == ("ACUCAR20",)


def test_a_rule_coupon_goes_through_the_voucher_call(agent: Agent) -> None:
    agent.sales.price("p1", BASKET)
    quote = agent.sales.apply_voucher("p1", " acucar20 ")
    assert (quote["total"], quote["coupons"][0]["rules"]) == ("28.00", ["acucar20"])
    assert agent.sales.apply_voucher("p1", "ACUCAR20")["total"] == "28.00"  # again: no change


@pytest.mark.parametrize(
    ("code", "error_code"), [("NOPE10", "coupon_unknown"), ("NATAL", "coupon_not_valid")]
)
def test_a_code_that_fires_no_rule_is_refused_and_changes_nothing(
    agent: Agent, code: str, error_code: str
) -> None:
    first = agent.sales.price("p1", BASKET)
    with pytest.raises(CouponRefused) as refused:
        agent.sales.price("p1", [line("ACUCAR", "1", "5.00")], [code])
    assert refused.value.code == error_code
    assert code in refused.value.message_en
    assert "cupom" in refused.value.message_pt
    after = agent.sales.apply_voucher("p1", "ACUCAR20")
    assert after["subtotal"] == first["subtotal"]  # the earlier basket is still the sale's
    assert agent.sales.finalise("p1")["coupons"][0]["code"] == "ACUCAR20"


def test_the_voucher_call_still_refuses_what_is_neither_voucher_nor_coupon(agent: Agent) -> None:
    agent.sales.price("p1", BASKET)
    with pytest.raises(InvalidVoucherCode):
        agent.sales.apply_voucher("p1", "NOPE10")
    with pytest.raises(CouponRefused) as refused:
        agent.sales.apply_voucher("p1", "NATAL")
    assert refused.value.code == "coupon_not_valid"
    assert agent.sales.price("p1", BASKET)["coupons"] == []


def test_a_new_sale_refused_for_its_coupon_is_not_left_open(agent: Agent) -> None:
    with pytest.raises(CouponRefused):
        agent.sales.price("p9", BASKET, ["NOPE10"])
    assert "p9" not in agent.sales.open


def test_the_pos_http_api_takes_a_coupon_both_ways(agent: Agent) -> None:
    """GIVEN the real http plugin app over the agent WHEN the POS sends ``coupon`` with the
    basket, or the code to the voucher route, THEN the rule fires; a bad code is a 422."""
    from plugins.dispatch import Dispatcher
    from plugins.http import create_pos_app

    secret = "x" * 20
    pos = create_pos_app(Dispatcher(agent.sales), secret).test_client()
    h = {"X-Tillclub-Secret": secret}
    r = pos.put("/v1/sales/A/basket", headers=h, json={"lines": BASKET, "coupon": "acucar20"})
    assert (r.status_code, r.get_json()["result"]["total"]) == (200, "28.00")
    pos.put("/v1/sales/B/basket", headers=h, json={"lines": BASKET})
    r = pos.post("/v1/sales/B/vouchers", headers=h, json={"code": "ACUCAR20"})
    assert r.get_json()["result"]["coupons"][0]["applied"] is True
    r = pos.put("/v1/sales/B/basket", headers=h, json={"lines": BASKET, "coupons": ["NOPE10"]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "coupon_unknown")
    assert "cupom 'NOPE10'" in r.get_json()["error"]["message"]
    r = pos.post("/v1/sales/B/finalise", headers=h)
    assert r.get_json()["result"]["total"] == "28.00"
