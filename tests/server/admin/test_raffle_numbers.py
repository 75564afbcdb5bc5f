"""The member page lists the member's raffle numbers per campaign, in full (not personal data).

GIVEN a member whose till sale carried two numbered tickets and one owed ticket
WHEN head office opens the member page
THEN the numbers are listed under the campaign, and another member's are not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from server.db import new_session
from server.models import RaffleCampaign as RaffleRow
from server.services.members import add_member
from server.services.raffle import assign_terminal_block, to_campaign
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork

from ..conftest import T0, register_till
from .conftest import Office


def test_member_page_lists_raffle_numbers(app: Flask, client: FlaskClient, office: Office) -> None:
    cipher = app.extensions["tillclub.cpf"]
    add_member(SqlUnitOfWork.for_app(app), cipher, "m1", "Maria da Silva")
    add_member(SqlUnitOfWork.for_app(app), cipher, "m2", "Mario Souza")
    add_raffle(
        SqlUnitOfWork.for_app(app),
        "natal",
        "Natal Premiado",
        "SPA/MF 1",
        Decimal("50.00"),
        T0 - dt.timedelta(days=10),
        T0 + dt.timedelta(days=50),
    )
    till = register_till(app, client)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 10)
    with new_session(app) as s:
        c = to_campaign(s.get_one(RaffleRow, "natal"))
    mine = till.sale("m1", ["100.00"])
    mine["raffle_tickets"] = [
        {"ticket_id": f"{mine['sale_id']}/natal/{i}", "campaign_id": "natal", "number": n}
        for i, n in enumerate([c.number_at(0), c.number_at(1)])
    ]
    theirs = till.sale("m2", ["50.00"])
    theirs["raffle_tickets"] = [
        {
            "ticket_id": f"{theirs['sale_id']}/natal/0",
            "campaign_id": "natal",
            "number": c.number_at(2),
        }
    ]
    assert till.push([mine, theirs])["rejected"] == []
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert "Natal Premiado" in page
    assert f"{c.format_number(c.number_at(0))}, {c.format_number(c.number_at(1))}" in page
    assert c.format_number(c.number_at(2)) not in page
    other = office.get("/admin/members/m2").get_data(as_text=True)
    assert c.format_number(c.number_at(2)) in other
