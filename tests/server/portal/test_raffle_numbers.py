"""The shopper sees their raffle numbers, as printed, and the data export carries them.

GIVEN a member whose sales at a real (HTTP API) till carried raffle tickets, one later voided
WHEN they open the rewards page and download their data
THEN the issued numbers appear per campaign, the voided and owed ones do not.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import Member
from server.models import RaffleCampaign as RaffleRow
from server.services.raffle import assign_terminal_block, to_campaign
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork

from ..conftest import register_till
from .conftest import T0, Shopper


def test_rewards_page_and_export_list_the_numbers(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    with app.app_context(), new_session() as s:
        member_id = s.scalars(select(Member.id)).one()
    add_raffle(
        SqlUnitOfWork.for_app(app),
        "natal",
        "Natal Premiado",
        "SPA/MF 1",
        Decimal("50.00"),
        T0 - dt.timedelta(days=10),
        T0 + dt.timedelta(days=50),
        {"series_count": 10},
    )
    till = register_till(app, app.test_client(), "LOJA-01")
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 10)
    with new_session(app) as s:
        c = to_campaign(s.get_one(RaffleRow, "natal"))
    numbers = [c.number_at(p) for p in range(3)]
    sale = till.sale(member_id, ["150.00"])
    ids = [f"{sale['sale_id']}/natal/{i}" for i in range(4)]
    sale["raffle_tickets"] = [
        {"ticket_id": t, "campaign_id": "natal", "number": n}
        for t, n in zip(ids, [*numbers, None], strict=True)
    ]
    refund = till.header("refund") | {
        "refund_id": till.refund_id(),
        "sale_id": sale["sale_id"],
        "amount": "10.00",
        "voided_tickets": [{"ticket_id": ids[2], "campaign_id": "natal", "number": numbers[2]}],
    }
    assert till.push([sale, refund])["rejected"] == []
    with new_session(app) as s:
        from server.models import RaffleTicketRow

        owed_number = s.get_one(RaffleTicketRow, ids[3]).number  # numbered from the reserve
    assert owed_number is not None
    shown = [c.format_number(n) for n in [numbers[0], numbers[1], owed_number]]
    page = shopper.client.get("/portal/rewards").get_data(as_text=True)
    assert "Natal Premiado" in page
    for text in shown:
        assert text in page
    assert c.format_number(numbers[2]) not in page  # voided by the refund
    assert "Você ainda não tem números neste sorteio." not in page
    data = json.loads(shopper.client.get("/portal/privacy/export.json").get_data(as_text=True))
    exported = data["raffle_numbers"]["natal"]
    assert len(exported) == 3
    assert [x.split("-")[-1] for x in exported] == [t.split("-")[-1] for t in shown]
