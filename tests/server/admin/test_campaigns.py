"""Campaigns: a form per kind that builds the file format, engine errors on the field, JSON
import/export, simulation of last month's sales, publish (reaches agents) and pause."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from loyalty.pricing import parse_campaign
from loyalty.pricing.rules import RuleKind
from server.admin import campaign_forms as cf
from server.db import new_session
from server.models import AuditLog, Campaign, CampaignDraft
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from ..conftest import register_till
from .conftest import Office

EXAMPLE_PATH = Path(__file__).resolve().parents[3] / "docs" / "examples" / "campaign.json"
EXAMPLE = json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule", EXAMPLE["rules"], ids=lambda r: r["kind"])
def test_every_kind_round_trips_through_its_form(rule: dict) -> None:
    """GIVEN each rule of the example file WHEN shown in its form and submitted unchanged THEN
    the same rule comes back (up to the format's own normalisation)."""
    values = cf.form_from_rule(rule)

    class Form(dict):
        def getlist(self, name: str) -> list[str]:
            v = self.get(name, [])
            return v if isinstance(v, list) else [v]

    form = Form({k: ("1" if v is True else v) for k, v in values.items() if v is not False})
    rebuilt = cf.rule_from_form(rule["kind"], form)
    want = parse_campaign({"rules": [rule]}).rules[0]
    got = parse_campaign({"rules": [rebuilt]}).rules[0]
    assert got == want


def test_each_kind_has_a_form_with_its_own_fields() -> None:
    for kind in RuleKind:
        names = {s.name for s in cf.specs_for(kind.value)}
        assert {"id", "name"} <= names
    assert "take" in {s.name for s in cf.specs_for("take_pay")}
    assert "applies_to" not in {
        s.name for s in cf.specs_for("member_price")
    }  # the format refuses it


def test_error_input_maps_engine_fields_to_inputs() -> None:
    assert cf.error_input("percent", "percent_off") == "percent"
    assert cf.error_input("valid.hours", "percent_off") == "valid.hours.0"
    assert cf.error_input("applies_to", "percent_off") == "applies_to.skus"
    assert cf.error_input("tiers[1].unit_price", "quantity_price") == "tiers"
    assert cf.error_input("get.percent", "buy_get") == "get.percent"
    assert cf.error_input(None, "percent_off") is None


def _rule_form(**fields: str) -> dict[str, str]:
    return {
        "kind": "percent_off",
        "id": "hort-10",
        "name": "Hortifruti -10%",
        "percent": "10",
        "applies_to.categories": "hortifruti",
        **fields,
    }


def test_bad_input_shows_the_error_on_the_field_and_writes_nothing(
    app: Flask, office: Office
) -> None:
    office.post("/admin/campaigns", {"campaign_id": "verao", "name": "Verão"})
    with new_session(app) as s:
        before = s.scalar(select(func.count()).select_from(AuditLog))
    r = office.post(
        "/admin/campaigns/verao/rules/new",
        _rule_form(percent="150"),
        from_page="/admin/campaigns/verao/rules/new?kind=percent_off",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="r-percent" name="percent" value="150" aria-invalid="true"' in html
    assert '<p class="error" id="r-percent-error">' in html
    assert "150" in html.split('id="r-percent-error">')[1][:200]
    r = office.post(
        "/admin/campaigns/verao/rules/new",
        _rule_form(**{"valid.hours.0": "25:00", "valid.hours.1": "10:00"}),
    )
    assert r.status_code == 400
    assert 'id="r-valid.hours.0-error"' in r.get_data(as_text=True)
    with new_session(app) as s:
        assert s.get_one(CampaignDraft, "verao").document == {"rules": []}
        assert s.scalar(select(func.count()).select_from(AuditLog)) == before


def test_error_message_in_portuguese(app: Flask, office: Office) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    office.post("/admin/campaigns", {"campaign_id": "verao", "name": "Verão"})
    html = office.post("/admin/campaigns/verao/rules/new", _rule_form(percent="150")).get_data(
        as_text=True
    )
    assert "deve ser um número entre 0 e 100" in html


def test_import_export_round_trip_and_bad_json(app: Flask, office: Office) -> None:
    text = EXAMPLE_PATH.read_text(encoding="utf-8")
    r = office.post(
        "/admin/campaigns/import",
        {"import-campaign_id": "exemplo", "import-name": "Exemplo", "import-document": text},
        from_page="/admin/campaigns",
    )
    assert r.status_code == 302
    exported = office.get("/admin/campaigns/exemplo/export.json?which=draft")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert parse_campaign(json.loads(exported.get_data(as_text=True))) == parse_campaign(EXAMPLE)
    bad = office.post(
        "/admin/campaigns/import",
        {
            "import-campaign_id": "x",
            "import-name": "X",
            "import-document": '{"rules": [{"id": "a", "kind": "percent_off", "name": "A", "pecent": "5"}]}',  # noqa: E501
        },
    )
    assert bad.status_code == 400
    assert "pecent" in bad.get_data(as_text=True)
    broken = office.post(
        "/admin/campaigns/import",
        {"import-campaign_id": "y", "import-name": "Y", "import-document": '{"rules": ['},
    )
    assert broken.status_code == 400
    assert "not valid JSON" in broken.get_data(as_text=True)
    with new_session(app) as s:
        assert s.get(CampaignDraft, "x") is None
        assert s.get(CampaignDraft, "y") is None


def _last_month(now: dt.datetime) -> dt.datetime:
    first = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return (first - dt.timedelta(days=10)).replace(hour=12)


def test_simulate_publish_reach_agent_pause(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    """GIVEN last month's sales (two members, one anonymous) WHEN a 10 % off rule on SKU1 is
    simulated THEN its cost is exactly 10 % of the SKU1 lines of member-or-not sales, and after
    publishing an enrolled terminal pulls it; pausing sends active=false."""
    cipher = app.extensions["tillclub.cpf"]
    add_member(SqlUnitOfWork.for_app(app), cipher, "m1", "Maria")
    add_member(SqlUnitOfWork.for_app(app), cipher, "m2", "João")
    till = register_till(app, client)
    at = _last_month(dt.datetime.now(dt.UTC))
    till.push(
        [
            till.sale("m1", ["20.00", "5.00"], at=at),  # SKU1 20.00 -> 2.00 off
            till.sale("m2", ["7.35"], at=at),  # SKU1 7.35 -> 0.74 off (rounded half-up)
            till.sale(None, ["3.00", "9.99"], at=at),  # SKU1 3.00 -> 0.30 off
        ]
    )
    _, cursor = till.pull_all()
    office.post("/admin/campaigns", {"campaign_id": "sku1-10", "name": "SKU1 -10%"})
    r = office.post(
        "/admin/campaigns/sku1-10/rules/new",
        {
            "kind": "percent_off",
            "id": "sku1-10",
            "name": "SKU1 -10%",
            "percent": "10",
            "applies_to.skus": "SKU1",
        },
    )
    assert r.status_code == 302
    blocked = office.post("/admin/campaigns/sku1-10/publish")
    assert blocked.status_code == 400
    assert "simulate" in blocked.get_data(as_text=True).lower()
    day = at.date()
    r = office.post(
        "/admin/campaigns/sku1-10/simulate",
        {"period_from": day.replace(day=1).isoformat(), "period_until": day.isoformat()},
    )
    assert r.status_code == 302
    page = office.get("/admin/campaigns/sku1-10").get_data(as_text=True)
    assert 'id="sim-discount">R$3.04<' in page
    assert 'id="sim-sales-reached">3<' in page
    assert 'id="sim-members-reached">2<' in page
    assert office.post("/admin/campaigns/sku1-10/publish").status_code == 302
    changes, cursor = till.pull_all(cursor)
    pulled = [c for c in changes if c["type"] == "campaign"]
    assert len(pulled) == 1
    assert pulled[0]["data"]["document"]["rules"][0]["percent"] == "10"
    assert pulled[0]["data"]["active"] is True
    assert pulled[0]["data"]["version"] == 1
    assert office.post("/admin/campaigns/sku1-10/pause").status_code == 302
    changes, _ = till.pull_all(cursor)
    assert [c["data"]["active"] for c in changes if c["type"] == "campaign"] == [False]
    with new_session(app) as s:
        assert s.get_one(Campaign, "sku1-10").version == 2
        actions = [
            a.action
            for a in s.scalars(
                select(AuditLog).where(AuditLog.target_id == "sku1-10").order_by(AuditLog.id)
            )
        ]
    assert actions == [
        "campaign.draft.create",
        "campaign.rule.save",
        "campaign.simulate",
        "campaign.publish",
        "campaign.pause",
    ]


def test_editing_after_a_simulation_requires_a_new_one(app: Flask, office: Office) -> None:
    office.post("/admin/campaigns", {"campaign_id": "c1", "name": "C1"})
    office.post("/admin/campaigns/c1/rules/new", _rule_form())
    today = dt.datetime.now(dt.UTC).date().isoformat()
    office.post("/admin/campaigns/c1/simulate", {"period_from": today, "period_until": today})
    office.post("/admin/campaigns/c1/rules/hort-10", _rule_form(percent="15"))
    assert office.post("/admin/campaigns/c1/publish").status_code == 400
    assert 'id="publish-blocked"' in office.get("/admin/campaigns/c1").get_data(as_text=True)


def test_the_agenda_s_days_run_in_the_chain_s_time_zone(app: Flask, office: Office) -> None:
    """ "01/12 to 31/12" is from 00:00 on 1 December to the end of 31 December in the chain's
    zone (America/Sao_Paulo, UTC−3), stored as UTC instants, and the form shows the same days
    back. Before issue 28 the days were UTC midnights (21:00 the evening before in São Paulo)."""
    office.post("/admin/campaigns", {"campaign_id": "natal", "name": "Natal"})
    r = office.post(
        "/admin/campaigns/natal/schedule",
        {"valid_from": "2026-12-01", "valid_until": "2026-12-31"},
        from_page="/admin/campaigns/natal",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    with new_session(app) as s:
        draft = s.get_one(CampaignDraft, "natal")
        assert draft.valid_from == dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
        assert draft.valid_until == dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)
    html = office.get("/admin/campaigns/natal").get_data(as_text=True)
    assert 'value="2026-12-01"' in html
    assert 'value="2026-12-31"' in html
    assert "America/Sao_Paulo" in html  # the note names the zone the days run in


def test_the_agenda_follows_chain_time_zone(db_url: str) -> None:
    """With ``chain_time_zone = "America/Manaus"`` (UTC−4) the same days start an hour later."""
    from .conftest import add_admin, build_app, empty_all

    app = build_app(db_url, CHAIN_TIME_ZONE="America/Manaus")
    try:
        empty_all(app)
        add_admin(app, "ana@hq.example", "admin")
        office = Office(app.test_client())
        assert office.login("ana@hq.example").status_code == 302
        office.post("/admin/campaigns", {"campaign_id": "natal", "name": "Natal"})
        office.post(
            "/admin/campaigns/natal/schedule",
            {"valid_from": "2026-12-01", "valid_until": "2026-12-31"},
            from_page="/admin/campaigns/natal",
        )
        with new_session(app) as s:
            draft = s.get_one(CampaignDraft, "natal")
            assert draft.valid_from == dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)
            assert draft.valid_until == dt.datetime(2027, 1, 1, 4, 0, tzinfo=dt.UTC)
        html = office.get("/admin/campaigns/natal").get_data(as_text=True)
        assert 'value="2026-12-01"' in html
        assert 'value="2026-12-31"' in html
    finally:
        from server.db import get_engine

        get_engine(app).dispose()
