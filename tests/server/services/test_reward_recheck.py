"""The server re-checks a pushed sale's rewards with the core's rules, and flags, never rejects.

GIVEN a published campaign of 1 point per R$ 1,00 (rule ``R1``) and the tills' tender rules
(100 points = R$ 1,00, R$ 50,00 per sale)
WHEN a till pushes a sale whose points are booked to another rule, or whose redemptions pass
the sale's total or the cap per sale
THEN the sale is applied, marked ``mismatch``, and the push answer flags each difference as a
re-price mismatch is flagged; an honest sale is a ``match``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from server.db import new_session
from server.models import Sale
from server.services.campaign_publish import put_campaign
from server.services.uow import SqlUnitOfWork

from ..conftest import T0, Till

CAMPAIGN = {
    "rules": [
        {
            "id": "R1",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        }
    ]
}


def _stocked(app: Flask, till: Till, member: str) -> str:
    """The member's earlier 10.000 points (a lot the redemptions draw on); its entry id."""
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", CAMPAIGN)
    earlier = till.sale(member, ["10000.00"], points="10000", at=T0 - dt.timedelta(days=3))
    assert till.push([earlier])["flags"] == []
    return str(earlier["ledger_entries"][0]["entry_id"])


def _redeem(till: Till, sale: dict[str, Any], lot: str, currency: str, amount: str) -> None:
    sale.setdefault("ledger_entries", []).append(
        till.entry(
            sale["member_id"], amount, kind="redeem", currency=currency,
            sale_id=sale["sale_id"], reverses=lot,
        )
    )  # fmt: skip


def _status(app: Flask, sale_id: str) -> tuple[str, Any]:
    with new_session(app) as s:
        row = s.get_one(Sale, sale_id)
        return row.reprice_status.value, row.reprice_detail


def test_points_booked_to_another_rule_are_flagged(app: Flask, till: Till) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", CAMPAIGN)
    sale = till.sale("M1", ["10.00", "5.50"], points="15")
    sale["ledger_entries"][0]["rule_id"] = "R9"
    answer = till.push([sale])
    assert answer["applied"] == [sale["event_id"]]
    assert answer["flags"] == [
        {
            "event_id": sale["event_id"],
            "code": "reprice_mismatch",
            "sale_id": sale["sale_id"],
            "differences": {"by_rule": {"till": "R9 points 15", "server": "R1 points 15"}},
        }
    ]
    assert _status(app, sale["sale_id"])[0] == "mismatch"


def test_redemptions_within_the_rules_match(app: Flask, till: Till) -> None:
    lot = _stocked(app, till, "M2")
    sale = till.sale("M2", ["80.00"], points="80")
    _redeem(till, sale, lot, "points", "-5000")  # R$ 50,00: the whole cap
    assert till.push([sale])["flags"] == []
    assert _status(app, sale["sale_id"]) == ("match", None)


def test_redemptions_past_the_cap_or_the_total_are_flagged_and_applied(
    app: Flask, till: Till
) -> None:
    lot = _stocked(app, till, "M3")
    sale = till.sale("M3", ["30.00"], points="30")
    _redeem(till, sale, lot, "points", "-4000")  # R$ 40,00 on a R$ 30,00 sale
    answer = till.push([sale])
    assert answer["applied"] == [sale["event_id"]]
    assert answer["flags"][0]["differences"] == {"redeemed": {"till": "40.00", "server": "30.00"}}
    big = till.sale("M3", ["90.00"], points="90")
    _redeem(till, big, lot, "points", "-5001")  # R$ 50,01: one cent past the cap per sale
    flags = till.push([big])["flags"]
    assert flags[0]["differences"] == {"redeem_per_sale": {"till": "50.01", "server": "50.00"}}
    status, detail = _status(app, big["sale_id"])
    assert status == "mismatch"
    assert detail["differences"]["redeem_per_sale"] == {"till": "50.01", "server": "50.00"}
