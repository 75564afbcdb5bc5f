"""Money typed in the head-office forms is stored exactly: "12,50" is a R$ 12,50 voucher (not
R$ 1.250,00), the batch page and its CSV show the value, and "1e400" in a voucher, a rule, an
adjustment or an imported campaign is an error on the page in the user's language, not a 500.
Importing over an existing campaign asks first and shows what it replaces."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.db import new_session
from server.models import AuditLog, Campaign, CampaignDraft, LedgerEntryRow, Voucher
from server.services.campaign_publish import put_campaign
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from .conftest import Office


def _voucher_form(**fields: str) -> dict[str, str]:
    today = dt.datetime.now(dt.UTC).date()
    return {
        "name": "Vale",
        "kind": "amount",
        "value": "12,50",
        "min_subtotal": "",
        "max_uses": "1",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "audience": "list",
        "member_ids": "m1",
        "segment": "",
        **fields,
    }


def _member(app: Flask) -> None:
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Maria")


@pytest.mark.parametrize(
    ("kind", "value", "min_subtotal", "amount", "percent", "minimum"),
    [
        ("amount", "12,50", "R$ 1.234,56", "12.50", None, "1234.56"),
        ("amount", "12.50", "100", "12.50", None, "100.00"),
        ("percent", "5,5 %", "", None, "5.50", "0.00"),
    ],
)
def test_a_voucher_batch_stores_the_value_as_typed_and_shows_it(
    app: Flask,
    office: Office,
    kind: str,
    value: str,
    min_subtotal: str,
    amount: str | None,
    percent: str | None,
    minimum: str,
) -> None:
    _member(app)
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    form = _voucher_form(kind=kind, value=value, min_subtotal=min_subtotal)
    r = office.post("/admin/vouchers", form, from_page="/admin/vouchers")
    assert r.status_code == 302, r.get_data(as_text=True)
    batch_id = r.headers["Location"].rsplit("/", 1)[1]
    with new_session(app) as s:
        v = s.scalars(select(Voucher)).one()
        assert v.amount == (Decimal(amount) if amount else None)
        assert v.percent == (Decimal(percent) if percent else None)
        assert v.min_subtotal == Decimal(minimum)
    page = office.get(f"/admin/vouchers/{batch_id}").get_data(as_text=True)
    shown = page.split('id="batch-value">')[1].split("<")[0]
    assert shown == ("R$ 12,50" if amount else "5,5 %")
    assert "R$ 1.234,56" in page or minimum != "1234.56"
    rows = list(
        csv.DictReader(
            io.StringIO(office.get(f"/admin/vouchers/{batch_id}/codes.csv").get_data(as_text=True))
        )
    )
    assert [(r["amount"], r["percent"], r["min_subtotal"]) for r in rows] == [
        (amount or "", percent or "", minimum)
    ]


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("value", "1e400", "Valor em dinheiro inválido"),
        ("value", "-3", "O valor deve ser um número entre R$ 0,01"),
        ("value", "abc", "Valor em dinheiro inválido"),
        ("min_subtotal", "1e400", "Valor em dinheiro inválido"),
        ("min_subtotal", "-3", "O valor deve ser um número entre R$ 0,00"),
    ],
)
def test_bad_voucher_money_is_a_form_error_in_portuguese(
    app: Flask, office: Office, field: str, text: str, message: str
) -> None:
    _member(app)
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    r = office.post("/admin/vouchers", _voucher_form(**{field: text}), from_page="/admin/vouchers")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert message in html.split(f'id="{field}-error">')[1][:300]
    with new_session(app) as s:
        assert s.scalars(select(Voucher)).all() == []


def test_a_percent_voucher_over_100_is_refused(app: Flask, office: Office) -> None:
    _member(app)
    r = office.post(
        "/admin/vouchers", _voucher_form(kind="percent", value="150"), from_page="/admin/vouchers"
    )
    assert r.status_code == 400
    assert "The percentage must be between 0 and 100" in r.get_data(as_text=True)


RULES: list[tuple[dict[str, str], str]] = [
    ({"kind": "amount_off", "amount": "{v}", "applies_to.skus": "A"}, "amount"),
    ({"kind": "member_price", "sku": "A", "price": "{v}"}, "price"),
    ({"kind": "percent_off", "percent": "{v}", "applies_to.skus": "A"}, "percent"),
    ({"kind": "basket_amount_off", "amount": "5", "min_subtotal": "{v}"}, "min_subtotal"),
    ({"kind": "points", "per_amount": "{v}", "points": "1"}, "per_amount"),
    ({"kind": "quantity_price", "tiers": "6; {v}"}, "tiers"),
    (
        {
            "kind": "buy_get",
            "buy.applies_to.skus": "A",
            "buy.qty": "1",
            "get.applies_to.skus": "B",
            "get.qty": "1",
            "get.percent": "{v}",
        },
        "get.percent",
    ),
]


def _rule(fields: dict[str, str], value: str) -> dict[str, str]:
    return {"id": "r1", "name": "R", **{k: v.replace("{v}", value) for k, v in fields.items()}}


@pytest.mark.parametrize(("fields", "name"), RULES, ids=[n for _, n in RULES])
def test_rule_money_and_percent_inputs_take_a_decimal_comma(
    app: Flask, office: Office, fields: dict[str, str], name: str
) -> None:
    office.post("/admin/campaigns", {"campaign_id": "c", "name": "C"})
    typed = "12,5" if "percent" in name else "1.234,56"
    r = office.post("/admin/campaigns/c/rules/new", _rule(fields, typed))
    assert r.status_code == 302, r.get_data(as_text=True)
    with new_session(app) as s:
        draft = s.get(CampaignDraft, "c")
        assert draft is not None
        stored = json.dumps(draft.document)
    assert ('"12.5"' if "percent" in name else '"1234.56"') in stored


@pytest.mark.parametrize(("fields", "name"), RULES, ids=[n for _, n in RULES])
@pytest.mark.parametrize("typed", ["1e400", "abc", "-3"])
def test_rule_money_and_percent_errors_land_on_their_input(
    app: Flask, office: Office, fields: dict[str, str], name: str, typed: str
) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    office.post("/admin/campaigns", {"campaign_id": "c", "name": "C"})
    with new_session(app) as s:
        audits = s.scalar(select(func.count()).select_from(AuditLog))
    r = office.post("/admin/campaigns/c/rules/new", _rule(fields, typed))
    html = r.get_data(as_text=True)
    assert r.status_code == 400, html
    error = html.split(f'id="r-{name}-error">')[1][:300]
    assert any(w in error for w in ("inválido", "deve ser um número entre")), error
    with new_session(app) as s:
        draft = s.get(CampaignDraft, "c")
        assert draft is not None
        assert draft.document["rules"] == []
        assert s.scalar(select(func.count()).select_from(AuditLog)) == audits


def test_money_inputs_are_decimal_text_inputs(app: Flask, office: Office) -> None:
    _member(app)
    office.post("/admin/campaigns", {"campaign_id": "c", "name": "C"})
    html = office.get("/admin/campaigns/c/rules/new?kind=basket_amount_off").get_data(as_text=True)
    for name in ("amount", "min_subtotal"):
        tag = html.split(f'id="r-{name}"')[1].split(">")[0]
        assert 'inputmode="decimal"' in tag
    assert 'type="number"' not in html
    for page, names in [
        ("/admin/vouchers", ("value", "min_subtotal")),
        ("/admin/raffles", ("spend_per_number",)),
        ("/admin/members/m1", ("amount",)),
    ]:
        html = office.get(page).get_data(as_text=True)
        for name in names:
            tag = html.split(f'id="{name}"')[1].split(">")[0]
            assert 'type="text"' in tag, (page, name, tag)
            assert 'inputmode="decimal"' in tag, (page, name, tag)


def test_an_imported_campaign_with_1e400_is_an_error_on_the_page(
    app: Flask, office: Office
) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    doc = {"rules": [{"id": "a", "kind": "amount_off", "name": "A", "amount": "1e400"}]}
    r = office.post(
        "/admin/campaigns/import",
        {"import-campaign_id": "x", "import-name": "X", "import-document": json.dumps(doc)},
    )
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    assert "deve ser no máximo 10000000.00" in r.get_data(as_text=True)
    with new_session(app) as s:
        assert s.get(CampaignDraft, "x") is None


@pytest.mark.parametrize("amount", ["1e400", "12,50", "R$ 10"])
def test_an_adjustment_of_cashback_parses_like_every_money_input(
    app: Flask, office: Office, amount: str
) -> None:
    _member(app)
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    r = office.post(
        "/admin/members/m1/adjust",
        {"currency": "cashback", "amount": amount, "reason": "goodwill gesture"},
        from_page="/admin/members/m1",
    )
    with new_session(app) as s:
        rows = s.scalars(select(LedgerEntryRow)).all()
    if amount == "1e400":
        assert r.status_code == 400
        assert "Valor em dinheiro inválido" in r.get_data(as_text=True)
        assert rows == []
    else:
        assert r.status_code == 302
        assert [e.amount for e in rows] == [Decimal("12.50") if "," in amount else Decimal(10)]


def _doc(*ids: str) -> str:
    rules = [{"id": i, "kind": "percent_off", "name": i.upper(), "percent": "5"} for i in ids]
    return json.dumps({"rules": rules})


def _import(office: Office, doc: str, **extra: Any) -> Any:
    return office.post(
        "/admin/campaigns/import",
        {"import-campaign_id": "verao", "import-name": "Verão", "import-document": doc, **extra},
    )


def test_importing_over_a_draft_asks_first_and_lists_what_it_replaces(
    app: Flask, office: Office
) -> None:
    assert _import(office, _doc("old-1", "old-2")).status_code == 302
    r = _import(office, _doc("new-1"))
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert 'id="import-replace-warning"' in html
    replaced = html.split('id="replaced-rules"')[1].split("</table>")[0]
    assert "old-1" in replaced
    assert "old-2" in replaced
    assert "new-1" in html.split('id="incoming-rules"')[1].split("</table>")[0]
    with new_session(app) as s:
        draft = s.get(CampaignDraft, "verao")
        assert draft is not None
        assert [r["id"] for r in draft.document["rules"]] == ["old-1", "old-2"]
    # The confirmation page's own form carries the file and the consent.
    confirm = html.split('<form method="post"')[-1]
    assert 'name="import-replace" value="y"' in confirm
    assert "new-1" in confirm
    assert _import(office, _doc("new-1"), **{"import-replace": "y"}).status_code == 302
    with new_session(app) as s:
        draft = s.get(CampaignDraft, "verao")
        assert draft is not None
        assert [r["id"] for r in draft.document["rules"]] == ["new-1"]


def test_importing_over_a_published_campaign_warns_in_portuguese(
    app: Flask, office: Office
) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "verao", "Verão", json.loads(_doc("live")))
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    r = _import(office, _doc("new-1"))
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "está publicada (versão 1)" in html
    assert "live" in html.split('id="replaced-rules"')[1]
    with new_session(app) as s:
        assert s.get(CampaignDraft, "verao") is None
        pub = s.get(Campaign, "verao")
        assert pub is not None
        assert [r["id"] for r in pub.document["rules"]] == ["live"]
