"""No English inside pt-BR pages: the Users form's refusals, the Sync issues page's refusal
reasons and the reports' rule kinds come from the admin's message table (issue 23, defect 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask

from server.db import new_session
from server.models import RejectedEvent, Sale, SaleAppliedRule
from server.models.sales import RepriceStatus
from server.services.terminals import register_terminal
from server.services.uow import SqlUnitOfWork

from .conftest import Office, add_store


def _create(office: Office, **fields: str) -> str:
    data = {"email": "gil@hq.example", "password": "x" * 14, "name": "Gil", **fields}
    r = office.post("/admin/users", data, from_page="/admin/users")
    assert r.status_code == 400
    return r.get_data(as_text=True)


def test_users_form_refusals_are_in_portuguese(app: Flask, office: Office) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    html = _create(office, role="store_manager", stores="")
    assert "um gerente de loja precisa de pelo menos uma loja" in html
    assert "--store" not in html
    assert "needs at least one store" not in html
    html = _create(office, role="store_manager", stores="NOPE")
    assert "loja desconhecida &#39;NOPE&#39;" in html
    assert "unknown store" not in html
    office.client.set_cookie("tc_admin_lang", "en")
    assert "unknown store &#39;NOPE&#39;" in _create(office, role="store_manager", stores="NOPE")


def test_sync_refusal_and_rule_kind_are_in_portuguese(app: Flask, office: Office) -> None:
    add_store(app, "S1")
    reg = register_terminal(SqlUnitOfWork.for_app(app), "S1", "PDV", ttl_hours=1)
    now = dt.datetime.now(dt.UTC)
    with new_session(app) as s, s.begin():
        s.add(
            RejectedEvent(
                event_id="S1/T/1", terminal_id=reg.terminal_id, code="unknown_voucher",
                message="no voucher with this code", first_seen_at=now, last_seen_at=now,
                attempts=1,
            )
        )  # fmt: skip
        s.add(
            Sale(
                sale_id="S1-1", event_id="e1", store_id="S1", terminal_id=reg.terminal_id,
                member_id=None, occurred_at=now, currency="BRL", subtotal=Decimal("10.00"),
                discount_total=Decimal("2.00"), total=Decimal("8.00"),
                reprice_status=next(iter(RepriceStatus)), reprice_detail=None, recorded_at=now,
                member_context=None, coupon_codes=None,
            )
        )  # fmt: skip
        s.flush()
        s.add(
            SaleAppliedRule(
                sale_id="S1-1", position=0, rule_id="leve3", kind="take_pay",
                amount=Decimal("2.00"), line_no=None, description=None,
            )
        )  # fmt: skip
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    html = office.get("/admin/sync-issues").get_data(as_text=True)
    assert "Nenhum voucher com este código." in html
    assert ">no voucher with this code<" not in html
    html = office.get("/admin/reports").get_data(as_text=True)
    assert "<td>Leve X pague Y</td>" in html
    assert "<td>take_pay</td>" not in html
