"""Stores and terminals from the UI: register (code shown once), enrol over the API, revoke."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog, Terminal

from .conftest import Office


def test_register_enrol_and_revoke_a_terminal(app: Flask, office: Office) -> None:
    assert (
        office.post(
            "/admin/stores", {"store_id": "LOJA-07", "name": "Shopping"}, from_page="/admin/stores"
        ).status_code
        == 302
    )
    dup = office.post(
        "/admin/stores", {"store_id": "LOJA-07", "name": "Again"}, from_page="/admin/stores"
    )
    assert dup.status_code == 400
    assert "exists already" in dup.get_data(as_text=True)
    bad = office.post(
        "/admin/stores", {"store_id": "LOJA 7!", "name": "Bad"}, from_page="/admin/stores"
    )
    assert bad.status_code == 400
    page = office.post(
        "/admin/stores/LOJA-07/terminals", {"name": "PDV 1"}, from_page="/admin/stores/LOJA-07"
    )
    html = page.get_data(as_text=True)
    code = re.search(r'id="registration-code">([A-Z0-9-]{19})<', html)
    assert code, html
    client = app.test_client()
    enrolled = client.post("/api/v1/terminals/register", json={"code": code.group(1)})
    assert enrolled.status_code == 201
    body = enrolled.get_json()
    headers = {"Authorization": f"Bearer {body['credential']}"}
    assert client.get("/api/v1/changes?cursor=0", headers=headers).status_code == 200
    assert code.group(1) not in office.get("/admin/stores/LOJA-07").get_data(
        as_text=True
    )  # shown once
    r = office.post(
        f"/admin/terminals/{body['terminal_id']}/revoke", from_page="/admin/stores/LOJA-07"
    )
    assert r.status_code == 302
    denied = client.get("/api/v1/changes?cursor=0", headers=headers)
    assert denied.status_code == 401
    assert denied.get_json()["code"] == "terminal_revoked"
    with new_session(app) as s:
        assert s.get_one(Terminal, body["terminal_id"]).status.value == "revoked"
        mine = s.scalars(
            select(AuditLog).where(
                AuditLog.actor_type == "admin", AuditLog.action.like("terminal.%")
            )
        ).all()
        assert [(a.action, a.detail["after"]["status"]) for a in mine] == [
            ("terminal.register", "pending"),
            ("terminal.revoke", "revoked"),
        ]
