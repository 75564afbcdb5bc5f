"""Ajustes retidos: head office sees what tills granted beyond their limits, and decides.

GIVEN a till that sent a 1,000-point adjustment (held: no till adjustments allowed) and a
sale earning more than its re-pricing gives
WHEN head office opens the page, approves the first and rejects the second
THEN the page (pt-BR) lists both, approval credits the member once, the audit log holds both
decisions, and a second approval is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog
from server.services.members import balances

from ..conftest import T0, register_till
from .conftest import Office


def test_head_office_approves_a_held_adjustment_once(app: Flask, office: Office) -> None:
    till = register_till(app, app.test_client())
    adjust = till.header("ledger_entry") | {"entry": till.entry("M5", "1000", kind="adjust")}
    inflated = till.sale("M5", ["1.00"], points="300")
    answer = till.push([adjust, inflated])
    assert [f["reason"] for f in answer["flags"] if f["code"] == "entry_held"] == [
        "adjust_over_limit",
        "earn_not_derived",
    ]
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    page = office.get("/admin/held-entries").get_data(as_text=True)
    assert "Ajustes retidos" in page
    assert "Ajuste além dos limites do caixa" in page
    assert "Ganhou mais do que a venda recalculada dá" in page
    entry_id = adjust["entry"]["entry_id"]
    r = office.post(
        f"/admin/held-entries/{entry_id}/approve",
        {"note": "conferido"},
        from_page="/admin/held-entries",
    )
    assert r.status_code == 302
    sale_entry = inflated["ledger_entries"][0]["entry_id"]
    r = office.post(f"/admin/held-entries/{sale_entry}/reject", from_page="/admin/held-entries")
    assert r.status_code == 302
    again = office.post(
        f"/admin/held-entries/{entry_id}/approve",
        follow_redirects=True,
        from_page="/admin/held-entries",
    )
    assert "já foi decidido" in again.get_data(as_text=True)
    with new_session(app) as s:
        points = balances(s, "M5", T0 + dt.timedelta(days=1))["points"].available
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert points == Decimal(1000)
    assert actions.count("held_entry.approve") == 1
    assert actions.count("held_entry.reject") == 1
    done = office.get("/admin/held-entries?status=approved").get_data(as_text=True)
    assert entry_id in done
    assert "conferido" in done
