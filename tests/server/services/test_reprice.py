"""Re-pricing a pushed sale uses the campaigns in force at the sale's ``occurred_at`` (their
schedules), merged in the till's order and read in the same time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask

from server.db import new_session
from server.models import Campaign, Sale
from server.services.campaign_publish import put_campaign
from server.services.uow import SqlUnitOfWork
from tests.server.conftest import T0, Till

HOUR = dt.timedelta(hours=1)


def promo(rule_id: str, percent: str = "10", **valid: Any) -> dict[str, Any]:
    rule = {"id": rule_id, "kind": "percent_off", "name": rule_id, "percent": percent,
            "applies_to": {"skus": ["SKU1"]}}  # fmt: skip
    return rule | ({"valid": valid} if valid else {})


def priced(till: Till, at: dt.datetime, gross: str, net: str) -> dict[str, Any]:
    """An anonymous one-line sale of SKU1 as a till priced it."""
    event = till.sale(None, [gross], at=at)
    discount = f"{Decimal(gross) - Decimal(net):.2f}"
    event["lines"][0] |= {"discount": discount, "net": net}
    event |= {"discount_total": discount, "total": net}
    return event


def status(app: Flask, event: dict[str, Any]) -> str:
    with new_session(app) as s:
        return s.get_one(Sale, event["sale_id"]).reprice_status.value


def schedule(
    app: Flask, campaign_id: str, start: dt.datetime | None, end: dt.datetime | None
) -> None:
    with new_session(app) as s, s.begin():
        row = s.get_one(Campaign, campaign_id)
        row.valid_from, row.valid_until = start, end


def test_a_campaign_counts_only_inside_its_schedule(app: Flask, till: Till) -> None:
    """Scheduled for [T0+1h, T0+2h): a till that priced R$ 20,00 before the start, 18,00
    inside and 20,00 from the end (exclusive) agrees with the server each time."""
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Café", {"rules": [promo("cafe")]})
    schedule(app, "C1", T0 + HOUR, T0 + 2 * HOUR)
    sales = [
        priced(till, T0, "20.00", "20.00"),
        priced(till, T0 + HOUR, "20.00", "18.00"),
        priced(till, T0 + 2 * HOUR, "20.00", "20.00"),
    ]
    assert till.push(sales)["flags"] == []
    assert [status(app, e) for e in sales] == ["match"] * 3
    early = priced(till, T0 + HOUR / 2, "20.00", "18.00")  # a till applying it too early
    flags = till.push([early])["flags"]
    assert [f["code"] for f in flags] == ["reprice_mismatch"]
    assert status(app, early) == "mismatch"


def test_campaigns_merge_by_id_so_the_first_campaign_s_zone_wins_as_at_the_till(
    app: Flask, till: Till
) -> None:
    """Two campaigns name different zones; by id, "a-manaus" comes first, so the 08:00-09:00
    window is read in Manaus whatever order the database returns them in. At T0 (08:00 in
    Manaus, 09:00 in São Paulo) the till gave the discount."""
    uow = SqlUnitOfWork.for_app
    put_campaign(uow(app), "b-sp", "SP", {"timezone": "America/Sao_Paulo", "rules": []})
    manaus = {"timezone": "America/Manaus", "rules": [promo("manha", hours=["08:00", "09:00"])]}
    put_campaign(uow(app), "a-manaus", "Manaus", manaus)
    sale = priced(till, T0 + dt.timedelta(minutes=30), "20.00", "18.00")
    assert till.push([sale])["flags"] == []
    assert status(app, sale) == "match"
