"""One audit row per head-office action, as the web user who did it; refused attempts audited
as refused; the auditor reads the Users page but changes nothing (issue 23, defect 3)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog

from .conftest import Office, add_admin, add_store


def _rows(app: Flask) -> list[tuple[str, str, str, str]]:
    with new_session(app) as s:
        return [
            (a.actor_type, a.actor_id, a.action, a.target_id)
            for a in s.scalars(
                select(AuditLog)
                .where(~AuditLog.action.like("login%"), ~AuditLog.action.like("session%"))
                .order_by(AuditLog.id)
            )
        ]


def test_web_store_and_terminal_actions_write_one_row_each(app: Flask, office: Office) -> None:
    before = len(_rows(app))
    assert (
        office.post(
            "/admin/stores", {"store_id": "LOJA-09", "name": "Norte"}, from_page="/admin/stores"
        ).status_code
        == 302
    )
    page = office.post(
        "/admin/stores/LOJA-09/terminals", {"name": "PDV 1"}, from_page="/admin/stores/LOJA-09"
    ).get_data(as_text=True)
    m = re.search(r"Terminal (T[0-9A-F]{12})", page)
    assert m, page
    terminal = m.group(1)
    r = office.post(f"/admin/terminals/{terminal}/revoke", from_page="/admin/stores/LOJA-09")
    assert r.status_code == 302
    assert _rows(app)[before:] == [
        ("admin", "ana@hq.example", "store.create", "LOJA-09"),
        ("admin", "ana@hq.example", "terminal.register", terminal),
        ("admin", "ana@hq.example", "terminal.revoke", terminal),
    ]


def test_refused_attempts_are_audited_as_refused(app: Flask, office: Office) -> None:
    add_store(app, "S1")
    add_store(app, "S2")
    office.post("/admin/stores", {"store_id": "S1", "name": "Again"}, from_page="/admin/stores")
    add_admin(app, "gil@hq.example", "store_manager", stores=("S1",))
    add_admin(app, "mia@hq.example", "marketing")
    manager = Office(app.test_client())
    manager.login("gil@hq.example")
    r = manager.post("/admin/stores/S2/terminals", {"name": "PDV"}, from_page="/admin/stores/S1")
    assert r.status_code == 403
    marketing = Office(app.test_client())
    marketing.login("mia@hq.example")
    r = marketing.post("/admin/stores", {"store_id": "S3", "name": "X"}, from_page="/admin/")
    assert r.status_code == 403
    refused = [row for row in _rows(app) if row[2].endswith(".refused")]
    assert refused == [
        ("admin", "ana@hq.example", "store.create.refused", "S1"),
        ("admin", "gil@hq.example", "access.refused", "admin.terminal_register"),
        ("admin", "mia@hq.example", "access.refused", "admin.store_create"),
    ]
    with new_session(app) as s:
        reasons = [
            a.detail["reason"]
            for a in s.scalars(select(AuditLog).where(AuditLog.action.like("%.refused")))
        ]
    assert "S1" in reasons[0]
    assert "S2" in reasons[1]
    assert "stores.write" in reasons[2]


def test_the_auditor_reads_users_but_changes_nothing(app: Flask, office: Office) -> None:
    add_admin(app, "rui@hq.example", "auditor")
    auditor = Office(app.test_client())
    auditor.login("rui@hq.example")
    page = auditor.get("/admin/users")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ana@hq.example" in html
    assert 'href="/admin/users"' in html  # in the menu
    assert "Create user" not in html
    assert "Deactivate" not in html
    r = auditor.post(
        "/admin/users",
        {"email": "new@hq.example", "role": "admin", "password": "x" * 14},
        from_page="/admin/users",
    )
    assert r.status_code == 403
    assert _rows(app)[-1] == ("admin", "rui@hq.example", "access.refused", "admin.user_create")
