"""One raffle ratio on the publish path: what the portal promises is what the till counts.

GIVEN a raffle promising one number per R$ 50,00 (the portal shows it; the authorisation
registers it)
WHEN head office publishes a campaign whose raffle rule counts one per R$ 40,00
THEN publishing is refused with the reason in the user's language and nothing reaches the
tills; with R$ 50,00 it publishes. The other paths hold the same rule: the service that
stores a campaign (CLI) refuses it, and a raffle cannot be created under a published rule
with another ratio.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from loyalty.rewards.raffle_rules import RaffleRatioMismatch
from server.db import new_session
from server.models import Campaign, RaffleCampaign
from server.services.campaign_publish import put_campaign
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork

from .conftest import Office

NOW = dt.datetime.now(dt.UTC)


def _doc(per_amount: str, raffle: str = "natal") -> dict:  # type: ignore[type-arg]
    return {
        "rules": [
            {"id": "sorteio", "kind": "raffle", "name": "Números da sorte",
             "per_amount": per_amount, "campaign": raffle, "audience": {"members_only": True}},
        ]
    }  # fmt: skip


def _raffle(app: Flask, raffle_id: str = "natal", spend: str = "50.00") -> None:
    add_raffle(
        SqlUnitOfWork.for_app(app),
        raffle_id,
        "Natal",
        "SPA/MF 1",
        Decimal(spend),
        NOW - dt.timedelta(days=1),
        NOW + dt.timedelta(days=30),
    )


def _draft(office: Office, per_amount: str, raffle: str = "natal") -> None:
    r = office.post(
        "/admin/campaigns/import",
        {
            "import-campaign_id": "sorteio",
            "import-name": "Sorteio",
            "import-document": json.dumps(_doc(per_amount, raffle)),
            "import-replace": "y",  # a second import replaces the first draft's rules
        },
        from_page="/admin/campaigns",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    today = NOW.date().isoformat()
    r = office.post(
        "/admin/campaigns/sorteio/simulate", {"period_from": today, "period_until": today}
    )
    assert r.status_code == 302


def _published(app: Flask) -> list[str]:
    with new_session(app) as s:
        return list(s.scalars(select(Campaign.id)))


def test_publishing_a_raffle_rule_with_another_ratio_is_refused(app: Flask, office: Office) -> None:
    _raffle(app)
    _draft(office, "40.00")
    refused = office.post("/admin/campaigns/sorteio/publish")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "promises one per R$ 50.00" in html
    assert _published(app) == []
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    html = office.post("/admin/campaigns/sorteio/publish").get_data(as_text=True)
    assert "promete um a cada R$ 50.00" in html
    _draft(office, "50.00")
    assert office.post("/admin/campaigns/sorteio/publish").status_code == 302
    assert _published(app) == ["sorteio"]


def test_publishing_a_rule_of_a_raffle_that_does_not_exist_is_refused(
    app: Flask, office: Office
) -> None:
    _draft(office, "50.00", raffle="pascoa")
    refused = office.post("/admin/campaigns/sorteio/publish")
    assert refused.status_code == 400
    assert "raffle &#39;pascoa&#39;, which does not exist" in refused.get_data(as_text=True)
    assert _published(app) == []


def test_storing_a_campaign_through_the_service_holds_the_same_rule(app: Flask) -> None:
    _raffle(app)
    with pytest.raises(RaffleRatioMismatch):
        put_campaign(SqlUnitOfWork.for_app(app), "c1", "C1", _doc("40.00"))
    assert _published(app) == []
    put_campaign(SqlUnitOfWork.for_app(app), "c1", "C1", _doc("50.00"))
    assert _published(app) == ["c1"]


def test_a_raffle_is_not_created_under_a_published_rule_with_another_ratio(
    app: Flask, office: Office
) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "c1", "C1", _doc("40.00", "verao"))  # no raffle yet
    with pytest.raises(RaffleRatioMismatch):
        _raffle(app, "verao", "50.00")
    with new_session(app) as s:
        assert s.get(RaffleCampaign, "verao") is None
    _raffle(app, "verao", "40.00")
