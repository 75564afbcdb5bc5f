"""The tier ladder in the head-office UI: shown, edited with money typed as text, audited,
refused with a message in the admin's language and nothing stored when wrong."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog, ChainSetting

from .conftest import Office


def _form(**over: str) -> dict[str, Any]:
    data = {
        "window_months": "12",
        "review_every_months": "1",
        "name_0": "classic",
        "threshold_0": "0",
        "name_1": "gold",
        "threshold_1": "R$ 2.000,50",
    }
    return data | over


def _setting(app: Flask) -> Any:
    with new_session(app) as s:
        row = s.get(ChainSetting, "tiers")
        return None if row is None else row.value


def test_an_admin_saves_the_ladder_parsed_and_audited(app: Flask, office: Office) -> None:
    page = office.get("/admin/tiers").get_data(as_text=True)
    assert 'id="no-ladder"' in page
    r = office.post("/admin/tiers", _form(), from_page="/admin/tiers")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _setting(app) == {
        "window_months": 12,
        "review_every_months": 1,
        "tiers": [
            {"name": "classic", "threshold": "0.00"},
            {"name": "gold", "threshold": "2000.50"},
        ],
    }
    with new_session(app) as s:
        [log] = s.scalars(select(AuditLog).where(AuditLog.action == "tiers.set_ladder")).all()
    assert (log.actor_type, log.actor_id) == ("admin", "ana@hq.example")
    assert log.detail["before"] is None
    assert log.detail["after"]["tiers"][1]["name"] == "gold"
    page = office.get("/admin/tiers").get_data(as_text=True)
    assert 'value="gold"' in page
    assert 'value="2000.50"' in page


def test_bad_input_is_refused_in_portuguese_and_nothing_is_stored(
    app: Flask, office: Office
) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    r = office.post("/admin/tiers", _form(threshold_1="dois mil"), from_page="/admin/tiers")
    assert r.status_code == 400
    assert "dois mil não é um valor em dinheiro." in r.get_data(as_text=True)
    r = office.post("/admin/tiers", _form(window_months="0"), from_page="/admin/tiers")
    assert r.status_code == 400
    assert "0 não é um número de meses de 1 a 120." in r.get_data(as_text=True)
    # Thresholds must rise: the core's ladder check, its message shown, nothing stored.
    r = office.post(
        "/admin/tiers", _form(threshold_0="500,00", threshold_1="100"), from_page="/admin/tiers"
    )
    assert r.status_code == 400
    assert "A escada não foi salva" in r.get_data(as_text=True)
    assert _setting(app) is None
