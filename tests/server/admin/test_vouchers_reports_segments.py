"""Vouchers in bulk (segment or list, CSV of codes, uses), reports (exact figures, CSV, store
scope) and segments computed from sales."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from loyalty.rewards import normalize_code
from server.db import new_session
from server.models import AuditLog, MemberSegment, Voucher
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from ..conftest import points_campaign, register_till
from .conftest import Office, add_admin


def _shop(app: Flask, client: FlaskClient) -> tuple:
    cipher = app.extensions["tillclub.cpf"]
    for mid, name in (("m1", "Maria"), ("m2", "João"), ("m3", "Ana")):
        add_member(SqlUnitOfWork.for_app(app), cipher, mid, name)
    points_campaign(app)
    till = register_till(app, client, "LOJA-01")
    other = register_till(app, client, "LOJA-02", "PDV 9")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    d1, d2 = now - dt.timedelta(days=2), now - dt.timedelta(days=1)
    till.push(
        [
            till.sale("m1", ["100.00", "20.00"], points="120", at=d1),
            till.sale("m1", ["50.00"], points="50", at=d2),
            till.sale("m2", ["30.00"], points="30", at=d2),
            till.sale(None, ["10.00"], at=d2),
        ]
    )
    other.push([other.sale("m3", ["5.00"], points="5", at=d2), other.sale(None, ["7.00"], at=d2)])
    return till, other, d1, d2


def test_vouchers_to_a_list_with_csv_codes(app: Flask, client: FlaskClient, office: Office) -> None:
    _shop(app, client)
    today = dt.datetime.now(dt.UTC).date()
    form = {
        "name": "R$ 10 de volta",
        "kind": "amount",
        "value": "10.00",
        "min_subtotal": "50",
        "max_uses": "1",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "audience": "list",
        "member_ids": "m1\nm2\n",
        "segment": "",
    }
    bad = office.post(
        "/admin/vouchers", {**form, "member_ids": "m1\nghost"}, from_page="/admin/vouchers"
    )
    assert bad.status_code == 400
    assert "Unknown member ids: ghost" in bad.get_data(as_text=True)
    with new_session(app) as s:
        assert s.scalars(select(Voucher)).all() == []
    r = office.post("/admin/vouchers", form, from_page="/admin/vouchers")
    assert r.status_code == 302
    batch_id = r.headers["Location"].rsplit("/", 1)[1]
    rows = list(
        csv.DictReader(
            io.StringIO(office.get(f"/admin/vouchers/{batch_id}/codes.csv").get_data(as_text=True))
        )
    )
    assert [r["member_id"] for r in rows] == ["m1", "m2"]
    assert all(normalize_code(r["code"]) for r in rows)
    with new_session(app) as s:
        vs = s.scalars(select(Voucher).order_by(Voucher.voucher_id)).all()
        assert [(v.amount, v.min_subtotal, v.max_uses) for v in vs] == [
            (Decimal("10.00"), Decimal("50.00"), 1)
        ] * 2
        assert (
            s.scalars(select(AuditLog).where(AuditLog.action == "voucher.batch.issue"))
            .one()
            .detail["after"]["count"]
            == 2
        )


def test_vouchers_to_a_segment(app: Flask, client: FlaskClient, office: Office) -> None:
    _shop(app, client)
    assert office.post("/admin/segments/compute", from_page="/admin/segments").status_code == 302
    with new_session(app) as s:
        top = s.scalars(
            select(MemberSegment.member_id).where(MemberSegment.value_class == "most_valuable")
        ).all()
    today = dt.datetime.now(dt.UTC).date()
    r = office.post(
        "/admin/vouchers",
        {
            "name": "VIP",
            "kind": "percent",
            "value": "5",
            "max_uses": "1",
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
            "audience": "segment",
            "segment": "value:most_valuable",
        },
        from_page="/admin/vouchers",
    )
    assert r.status_code == 302
    with new_session(app) as s:
        assert sorted(v.member_id for v in s.scalars(select(Voucher))) == sorted(top) == ["m1"]


def test_segments_from_sales(app: Flask, client: FlaskClient, office: Office) -> None:
    _shop(app, client)
    office.post("/admin/segments/compute", from_page="/admin/segments")
    with new_session(app) as s:
        rows = {r.member_id: r for r in s.scalars(select(MemberSegment))}
    assert set(rows) == {"m1", "m2", "m3"}
    assert (rows["m1"].frequency, rows["m1"].monetary) == (2, Decimal("170.00"))
    # contribution = 25 % of spend - points at R$ 0.01: 42.50 - 1.70
    assert rows["m1"].contribution == Decimal("40.80")
    assert rows["m1"].value_class == "most_valuable"
    assert rows["m1"].m_score == 5
    page = office.get("/admin/segments?segment=value:most_valuable").get_data(as_text=True)
    assert "Maria" in page
    assert "João" not in page


def test_reports_exact_figures_and_csv(app: Flask, client: FlaskClient, office: Office) -> None:
    _shop(app, client)
    office.post(
        "/admin/members/m2/adjust",
        {"currency": "points", "amount": "-10", "reason": "correction of a typo"},
        from_page="/admin/members/m2",
    )
    page = office.get("/admin/reports").get_data(as_text=True)
    assert 'id="kpi-sales">6<' in page
    assert 'id="kpi-rate">66.7%<' in page  # 4 of 6 sales identified
    # points outstanding 120+50+30+5-10 = 195 -> R$ 1.95
    assert 'id="kpi-liability">R$1.95<' in page
    assert 'data-chart="' in page
    assert "chart-4.6.1.umd.min.js" in page
    one = office.get("/admin/reports?store=LOJA-02").get_data(as_text=True)
    assert 'id="kpi-sales">2<' in one
    assert 'id="kpi-rate">50.0%<' in one
    body = office.get("/admin/reports/sales.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sum(int(r["sales"]) for r in rows) == 6
    assert sum(Decimal(r["total_brl"]) for r in rows) == Decimal("222.00")
    products = list(
        csv.DictReader(
            io.StringIO(office.get("/admin/reports/products.csv").get_data(as_text=True))
        )
    )
    assert products[0] == {
        "sku": "SKU1",
        "name": "",
        "quantity": "4.000",
        "net_brl": "185.00",
        "members": "3",
    }
    assert office.get("/admin/reports?from=2026-13-01").status_code == 400


def test_store_manager_reports_are_limited_to_their_store(app: Flask, client: FlaskClient) -> None:
    _shop(app, client)
    add_admin(app, "ger@hq.example", "store_manager", ("LOJA-02",))
    ger = Office(app.test_client())
    ger.login("ger@hq.example")
    assert ger.get("/admin/reports?store=LOJA-01").status_code == 403
    assert ger.get("/admin/reports/sales.csv?store=LOJA-01").status_code == 403
    mine = ger.get("/admin/reports").get_data(as_text=True)
    assert 'id="kpi-sales">2<' in mine


def test_terminal_report_headers_show_on_the_stores_page(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    till = register_till(app, client, "LOJA-01")
    r = client.get(
        "/api/v1/changes?cursor=0",
        headers={
            **till.headers,
            "X-Tillclub-Agent-Version": "1.4.2",
            "X-Tillclub-Queue-Depth": "17",
        },
    )
    assert r.status_code == 200
    page = office.get("/admin/stores/LOJA-01").get_data(as_text=True)
    assert "1.4.2" in page
    assert ">17<" in page


def test_recomputing_segments_makes_agents_repull_changed_members(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    till, _other, _d1, _d2 = _shop(app, client)
    _, cursor = till.pull_all()
    office.post("/admin/segments/compute", from_page="/admin/segments")
    changes, cursor = till.pull_all(cursor)
    assert sorted(c["id"] for c in changes if c["type"] == "member") == ["m1", "m2", "m3"]
    office.post("/admin/segments/compute", from_page="/admin/segments")
    changes, _ = till.pull_all(cursor)
    assert [c for c in changes if c["type"] == "member"] == []  # nothing changed, nothing re-sent
