"""A store's time zone from the head-office UI: set at creation (the chain's by default),
edited later with an audit row, and an unknown zone is a form error in the user's language."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog, Store

from .conftest import Office

STORES = "/admin/stores"


def _audits(app: Flask, action: str) -> list[AuditLog]:
    with new_session(app) as s:
        rows = s.scalars(
            select(AuditLog).where(AuditLog.actor_type == "admin", AuditLog.action == action)
        ).all()
    return list(rows)


def test_a_new_store_takes_the_typed_zone_or_the_chain_s(app: Flask, office: Office) -> None:
    r = office.post(
        "/admin/stores",
        {"store_id": "MAO-01", "name": "Manaus", "timezone": "America/Manaus"},
        from_page="/admin/stores",
    )
    assert r.status_code == 302
    r = office.post("/admin/stores", {"store_id": "SAO-01", "name": "SP"}, from_page=STORES)
    assert r.status_code == 302
    with new_session(app) as s:
        assert s.get_one(Store, "MAO-01").timezone == "America/Manaus"
        assert s.get_one(Store, "SAO-01").timezone == app.config["CHAIN_TIME_ZONE"]
    [created, _] = sorted(_audits(app, "store.create"), key=lambda a: a.target_id)
    assert created.detail["after"]["timezone"] == "America/Manaus"
    page = office.get("/admin/stores/MAO-01").get_data(as_text=True)
    assert 'id="store-timezone">America/Manaus<' in page


def test_an_unknown_zone_is_a_form_error_in_portuguese_and_creates_nothing(
    app: Flask, office: Office
) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    for zone in ("America/Manaos", "UTC-4", "../../etc/passwd", "x" * 80):
        r = office.post(
            "/admin/stores",
            {"store_id": "MAO-01", "name": "Manaus", "timezone": zone},
            from_page="/admin/stores",
        )
        assert r.status_code == 400
        html = r.get_data(as_text=True)
        if len(zone) <= 64:
            assert "Fuso horário desconhecido" in html, zone
            assert "use um nome IANA como America/Manaus" in html
    with new_session(app) as s:
        assert s.get(Store, "MAO-01") is None
    assert _audits(app, "store.create") == []


def test_the_zone_is_edited_later_audited_before_and_after(app: Flask, office: Office) -> None:
    office.post("/admin/stores", {"store_id": "MAO-01", "name": "Manaus"}, from_page=STORES)
    r = office.post(
        "/admin/stores/MAO-01/timezone",
        {"timezone": " America/Manaus "},
        from_page="/admin/stores/MAO-01",
    )
    assert r.status_code == 302
    with new_session(app) as s:
        store = s.get_one(Store, "MAO-01")
        assert store.timezone == "America/Manaus"
        seq = store.change_seq
    [change] = _audits(app, "store.timezone")
    assert change.target_id == "MAO-01"
    assert change.actor_id == "ana@hq.example"
    assert change.detail["before"] == {"timezone": "America/Sao_Paulo"}
    assert change.detail["after"] == {"timezone": "America/Manaus"}
    # an unknown zone: the English error, nothing changes, no audit row
    bad = office.post(
        "/admin/stores/MAO-01/timezone", {"timezone": "Manaus"}, from_page="/admin/stores/MAO-01"
    )
    assert bad.status_code == 400
    assert "Unknown time zone Manaus: use an IANA name such as America/Manaus." in bad.get_data(
        as_text=True
    )
    with new_session(app) as s:
        store = s.get_one(Store, "MAO-01")
        assert (store.timezone, store.change_seq) == ("America/Manaus", seq)
    assert len(_audits(app, "store.timezone")) == 1


def test_a_store_manager_of_another_store_cannot_change_its_zone(
    app: Flask, office: Office
) -> None:
    from .conftest import add_admin

    office.post("/admin/stores", {"store_id": "MAO-01", "name": "Manaus"}, from_page=STORES)
    office.post("/admin/stores", {"store_id": "SAO-01", "name": "SP"}, from_page=STORES)
    add_admin(app, "gerente@hq.example", "store_manager", ("SAO-01",))
    other = Office(app.test_client())
    assert other.login("gerente@hq.example").status_code == 302
    r = other.post(
        "/admin/stores/MAO-01/timezone", {"timezone": "America/Manaus"}, from_page="/admin/"
    )
    assert r.status_code == 403
    with new_session(app) as s:
        assert s.get_one(Store, "MAO-01").timezone == "America/Sao_Paulo"
