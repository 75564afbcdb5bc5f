"""The admin member page shows what expires soon ("expira em ..."), in both languages, and no
longer counts expired points as available before the expiry job has run."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from server.clock import now as utcnow
from server.services import held_entries
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from ..conftest import register_till
from .conftest import Office


def test_member_page_lists_amounts_that_expire_soon(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Maria")
    till = register_till(app, client)
    now = utcnow()
    soon = (now + dt.timedelta(days=10)).isoformat()
    later = (now + dt.timedelta(days=300)).isoformat()
    past = (now - dt.timedelta(days=1)).isoformat()
    entries = [
        till.entry("m1", "120", effective_at=now - dt.timedelta(days=5), expires_at=soon),
        till.entry("m1", "80", effective_at=now - dt.timedelta(days=5), expires_at=later),
        till.entry("m1", "50", effective_at=now - dt.timedelta(days=40), expires_at=past),
        till.entry("m1", "4.00", currency="cashback", effective_at=now, expires_at=soon),
    ]
    answer = till.push([till.header("ledger_entry") | {"entry": e} for e in entries])
    # a till's stand-alone earnings wait for head office; approved, they count as sent
    assert len([f for f in answer["flags"] if f["code"] == "entry_held"]) == 4
    for e in entries:
        held_entries.approve(SqlUnitOfWork.for_app(app), e["entry_id"], actor="ana@hq.example")
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert 'id="points-available">200<' in page  # the 50 expired yesterday are not available
    assert 'id="expiring"' in page
    assert "120 points expire on" in page
    assert "cashback expire on" in page
    assert "80 points" not in page  # beyond the 30-day notice window
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert "A vencer" in page
    assert "120 pontos expira em" in page
