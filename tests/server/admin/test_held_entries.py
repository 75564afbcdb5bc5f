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
from server.services.uow import SqlUnitOfWork

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


def test_refunds_of_a_held_credit_show_on_both_pages(app: Flask, office: Office) -> None:
    """A held 100-point earning refunded by 40 shows "40 taken off"; refunded in full it is
    listed as cancelled by refunds; a reversal past its cap is on Sync issues."""
    from server.services.campaign_publish import put_campaign

    from ..conftest import POINTS_PER_REAL

    put_campaign(SqlUnitOfWork.for_app(app), "C-POINTS", "Pontos", POINTS_PER_REAL)
    till = register_till(app, app.test_client())
    sale = till.sale("M7", ["10.00"], points="100")
    earn = sale["ledger_entries"][0]["entry_id"]

    def refund(amount: str) -> dict[str, object]:
        entry = till.entry("M7", amount, kind="reverse", reverses=earn, sale_id=sale["sale_id"])
        return till.header("refund") | {
            "refund_id": till.refund_id(),
            "sale_id": sale["sale_id"],
            "amount": "1.00",
            "ledger_entries": [entry],
        }

    till.push([sale, refund("-40")])
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    page = office.get("/admin/held-entries").get_data(as_text=True)
    assert '100 pontos<br><span class="hint">-40 descontados por devoluções' in page
    till.push([refund("-60")])
    assert earn not in office.get("/admin/held-entries").get_data(as_text=True)
    done = office.get("/admin/held-entries?status=refunded").get_data(as_text=True)
    assert earn in done
    assert "Cancelado por devoluções" in done
    # a reversal of a rejected or cancelled credit is listed as such on Sync issues
    till.push([refund("-10")])
    issues = office.get("/admin/sync-issues").get_data(as_text=True)
    assert "Estorno de devolução limitado" in issues
    assert "reverses_rejected" in issues
