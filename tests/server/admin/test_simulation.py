"""The simulation re-prices stored sales like re-pricing does: brand and tags kept, the
member context the till used, and published campaigns only inside their schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from server.db import new_session
from server.models import Campaign
from server.services.campaign_publish import put_campaign
from server.services.simulation import simulate
from server.services.uow import SqlUnitOfWork
from tests.server.conftest import T0, Till

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def percent(rule_id: str, **applies_to: Any) -> dict[str, Any]:
    return {"id": rule_id, "kind": "percent_off", "name": rule_id, "percent": "10",
            "applies_to": applies_to}  # fmt: skip


def test_rules_by_brand_and_tag_reach_the_sales_that_had_them(app: Flask, till: Till) -> None:
    sale = till.sale(None, ["20.00", "30.00"], at=T0)
    sale["lines"][0] |= {"brand": "Pilão", "tags": ["cafe-especial"]}
    sale["lines"][1] |= {"brand": "Outra"}
    till.push([sale])
    for selector, cents in [({"brands": ["Pilão"]}, 200), ({"tags": ["cafe-especial"]}, 200),
                            ({"brands": ["Outra"]}, 300)]:  # fmt: skip
        draft = {"rules": [percent("d1", **selector)]}
        with new_session(app) as s:
            result = simulate(s, "draft", draft, None, T0 - DAY, T0 + DAY, max_sales=10)
        assert (result.sales, result.sales_reached, result.delta.discount_cents) == (1, 1, cents)


def test_a_published_campaign_counts_only_where_its_schedule_covered_the_sale(
    app: Flask, till: Till
) -> None:
    """C1 (10 % off SKU1) starts an hour after the sale: the till did not apply it, so the
    baseline is R$ 20,00 and a draft with the same 10 % is worth R$ 2,00."""
    put_campaign(
        SqlUnitOfWork.for_app(app), "C1", "Café", {"rules": [percent("c1", skus=["SKU1"])]}
    )
    with new_session(app) as s, s.begin():
        s.get_one(Campaign, "C1").valid_from = T0 + HOUR
    sale = till.sale(None, ["20.00"], at=T0)
    late = till.sale(None, ["20.00"], at=T0 + 2 * HOUR)
    late["lines"][0] |= {"discount": "2.00", "net": "18.00"}
    late |= {"discount_total": "2.00", "total": "18.00"}
    assert till.push([sale, late])["flags"] == []
    draft = {"rules": [percent("d1", skus=["SKU1"])]}
    with new_session(app) as s:
        result = simulate(
            s, "draft", draft, None, T0 - DAY, T0 + DAY, max_sales=10, keep_results=True
        )
    before, _ = result.priced[sale["sale_id"]]
    assert before.total_cents == 2000
    assert result.priced[late["sale_id"]][0].total_cents == 1800
    # Inside the schedule C1 already gives the 10 % and the draft's rule does not stack on it.
    assert (result.sales_reached, result.per_rule["d1"].discount_cents) == (1, 200)
