"""Every money and percent input of the head-office UI in a real browser with a pt-BR locale:
"12,50", "1.234,56" and "1e400" typed into each (vouchers, minimum purchase, adjustments, raffle
ratio, every money and percent input of every rule form) are stored exactly or refused with a
pt-BR message on the field. Under a pt-BR locale a ``<input type=number>`` reads "12,50" by
the locale and sends what it likes; these inputs are text with ``inputmode="decimal"``.

Playwright drives Debian's headless Chromium against the real server on 127.0.0.1 (werkzeug,
port 0, SQLite migrated with Alembic); stored values are read back from the database.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from server.admin import campaign_forms as cf
from server.db import get_engine, new_session
from server.migrate import upgrade
from server.models import CampaignDraft, LedgerEntryRow, Voucher
from server.models.raffle import RaffleCampaign
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork

from .conftest import PASSWORD, add_admin, build_app
from .test_browser import LAUNCH

pytestmark = pytest.mark.browser

TYPED = ("12,50", "1.234,56", "1e400")
MONEY = {"12,50": "12.50", "1.234,56": "1234.56", "1e400": None}  # None: a form error
PERCENT = {"12,50": "12.5", "1.234,56": None, "1e400": None}
BAD_PT = ("Valor em dinheiro inválido", "Percentual inválido", "deve ser um número entre")


@dataclass
class Site:
    base: str
    app: Flask

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin-money') / 'server.db'}"
    upgrade(url)
    app = build_app(url, WTF_CSRF_TIME_LIMIT=None)
    app.config["TESTING"] = False
    add_admin(app, "ana@hq.example", "admin")
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Maria")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(5)
    get_engine(app).dispose()


@pytest.fixture(scope="module")
def page(site: Site) -> Iterator[Page]:
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
        pg = context.new_page()
        pg.goto(site.url("/admin/login?lang=pt-BR"))
        pg.fill("#email", "ana@hq.example")
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        expect(pg).to_have_url(site.url("/admin/"))
        pg.goto(site.url("/admin/campaigns"))
        pg.fill("#campaign_id", "dinheiro")
        pg.fill("#name", "Dinheiro exato")
        pg.click("form[action$='/admin/campaigns'] button[type=submit]")
        expect(pg.locator("h1")).to_contain_text("Dinheiro exato")
        yield pg
        context.close()
        browser.close()


def _is_decimal_text(page: Page, selector: str) -> None:
    box = page.locator(selector)
    expect(box).to_have_attribute("type", "text")
    expect(box).to_have_attribute("inputmode", "decimal")


def _error_on(page: Page, selector: str) -> None:
    expect(page.locator(selector)).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"{selector} ~ p.error").first
    text = error.inner_text()
    assert any(w in text for w in BAD_PT), text


# -- vouchers --------------------------------------------------------------------------------


def _issue(page: Page, site: Site, kind: str, value: str, minimum: str = "") -> None:
    today = dt.datetime.now(dt.UTC).date()
    page.goto(site.url("/admin/vouchers"))
    _is_decimal_text(page, "#value")
    _is_decimal_text(page, "#min_subtotal")
    page.fill("#name", f"Vale {value}")
    page.select_option("#kind", kind)
    page.fill("#value", value)
    page.fill("#min_subtotal", minimum)
    page.fill("#valid_from", today.isoformat())
    page.fill("#valid_until", (today + dt.timedelta(days=30)).isoformat())
    page.select_option("#audience", "list")
    page.fill("#member_ids", "m1")
    page.click("form[action$='/admin/vouchers'] button[type=submit]")


def _count(site: Site) -> int:
    with new_session(site.app) as s:
        return len(s.scalars(select(Voucher.voucher_id)).all())


def _last_voucher(site: Site) -> Voucher | None:
    with new_session(site.app) as s:
        v = s.scalars(select(Voucher).order_by(Voucher.created_at.desc(), Voucher.voucher_id))
        row = v.first()
        if row is not None:
            s.expunge(row)
        return row


@pytest.mark.parametrize("typed", TYPED)
def test_voucher_amount(page: Page, site: Site, typed: str) -> None:
    before = _count(site)
    _issue(page, site, "amount", typed)
    want = MONEY[typed]
    if want is None:
        _error_on(page, "#value")
        assert _count(site) == before
        return
    expect(page.locator("#batch-value")).to_have_text(f"R$ {typed}")
    v = _last_voucher(site)
    assert v is not None
    assert (v.amount, v.percent) == (Decimal(want), None)


@pytest.mark.parametrize("typed", TYPED)
def test_voucher_percent(page: Page, site: Site, typed: str) -> None:
    _issue(page, site, "percent", typed)
    want = PERCENT[typed]
    if want is None:
        _error_on(page, "#value")
        return
    expect(page.locator("#batch-value")).to_have_text("12,5 %")
    v = _last_voucher(site)
    assert v is not None
    assert (v.amount, v.percent) == (None, Decimal(want))


@pytest.mark.parametrize("typed", TYPED)
def test_voucher_minimum_purchase(page: Page, site: Site, typed: str) -> None:
    _issue(page, site, "amount", "5,00", typed)
    want = MONEY[typed]
    if want is None:
        _error_on(page, "#min_subtotal")
        return
    expect(page.locator("#batch-min-subtotal")).to_have_text(f"R$ {typed}")
    v = _last_voucher(site)
    assert v is not None
    assert v.min_subtotal == Decimal(want)


# -- adjustments and raffles ----------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_cashback_adjustment(page: Page, site: Site, typed: str) -> None:
    page.goto(site.url("/admin/members/m1"))
    _is_decimal_text(page, "#amount")
    page.select_option("#currency", "cashback")
    page.fill("#amount", typed)
    page.fill("#reason", "Ajuste de teste do navegador")
    page.click("text=Registrar ajuste")
    want = MONEY[typed]
    with new_session(site.app) as s:
        rows = s.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.entry_id))
        amounts = [e.amount for e in rows]
    if want is None:
        _error_on(page, "#amount")
        assert Decimal("1e400") not in amounts
        return
    expect(page.locator(".flash.ok")).to_be_visible()
    assert amounts[-1] == Decimal(want)


@pytest.mark.parametrize("typed", TYPED)
def test_raffle_spend_per_number(page: Page, site: Site, typed: str) -> None:
    page.goto(site.url("/admin/raffles"))
    _is_decimal_text(page, "#spend_per_number")
    raffle_id = "sorteio-" + typed.replace(",", "").replace(".", "")
    page.fill("#raffle_id", raffle_id)
    page.fill("#name", f"Sorteio {typed}")
    page.fill("#authorisation", "SEAE 01.000001/2026")
    page.fill("#spend_per_number", typed)
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    page.fill("#starts_on", start.isoformat())
    page.fill("#ends_on", (start + dt.timedelta(days=30)).isoformat())
    page.fill("#draw_date", (start + dt.timedelta(days=40)).isoformat())
    page.click("text=Criar sorteio")
    want = MONEY[typed]
    with new_session(site.app) as s:
        row = s.get(RaffleCampaign, raffle_id)
        stored = None if row is None else row.spend_per_number
    if want is None:
        _error_on(page, "#spend_per_number")
        assert stored is None
        return
    assert stored == Decimal(want)


# -- every money and percent input of every rule form ----------------------------------------

DEFAULTS: dict[str, str] = {
    "sku": "7891000100103",
    "take": "3",
    "pay": "2",
    "points": "10",
    "factor": "2",
    "campaign": "verao-2026",
    "tiers": "6; 1,79",
    "components": "1 x skus=A\n1 x skus=B",
    "buy.applies_to.skus": "A",
    "buy.qty": "2",
    "get.applies_to.skus": "B",
    "get.qty": "1",
    "get.percent": "50",
}


def _inputs() -> list[tuple[str, str, str]]:
    """(kind, input name, money or percent) for every money and percent input."""
    out = []
    for kind in cf.KIND_LABELS:
        for spec in cf.specs_for(kind):
            if spec.type in ("money", "tiers"):
                out.append((kind, spec.name, "money"))
            elif spec.type == "percent":
                out.append((kind, spec.name, "percent"))
            elif spec.type == "get":
                out.append((kind, "get.percent", "percent"))
    return out


INPUTS = _inputs()


def _fill_rule(page: Page, site: Site, kind: str, rule_id: str, name: str, typed: str) -> None:
    page.goto(site.url(f"/admin/campaigns/dinheiro/rules/new?kind={kind}"))
    if name != "tiers":  # a textarea, one tier per line
        _is_decimal_text(page, f"[id='r-{name}']")
    page.fill("[name='id']", rule_id)
    page.fill("[name='name']", f"Regra {rule_id}")
    values: dict[str, Any] = {}
    for spec in cf.specs_for(kind):
        if spec.type == "money":
            values[spec.name] = "10,00"
        elif spec.type == "percent":
            values[spec.name] = "10"
        elif spec.required and spec.name in DEFAULTS:
            values[spec.name] = DEFAULTS[spec.name]
        elif spec.type in ("buy", "get"):
            for k in ("applies_to.skus", "qty", "percent"):
                key = f"{spec.name}.{k}"
                if key in DEFAULTS:
                    values[key] = DEFAULTS[key]
    if "applies_to.skus" in {n for s in cf.specs_for(kind) for n in cf.input_names(s)}:
        values["applies_to.skus"] = "A"
    values[name] = f"6; {typed}" if name == "tiers" else typed
    for key, value in values.items():
        page.fill(f"[name='{key}']", value)
    page.click("text=Salvar regra")


def _draft_rule(site: Site, rule_id: str) -> dict[str, Any] | None:
    with new_session(site.app) as s:
        draft = s.get(CampaignDraft, "dinheiro")
        rules = draft.document.get("rules", []) if draft is not None else []
    return next((r for r in rules if r["id"] == rule_id), None)


def _stored(rule: dict[str, Any], name: str) -> Any:
    if name == "tiers":
        return rule["tiers"][0]["unit_price"]
    node: Any = rule
    for part in name.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize(("kind", "name", "what"), INPUTS, ids=[f"{k}:{n}" for k, n, _ in INPUTS])
def test_rule_input(page: Page, site: Site, kind: str, name: str, what: str) -> None:
    assert len(INPUTS) == 13  # every money and percent input of the 14 kinds
    for n, typed in enumerate(TYPED):
        rule_id = f"{kind}-{name}-{n}".replace(".", "-").replace("_", "-")
        _fill_rule(page, site, kind, rule_id, name, typed)
        want = (MONEY if what == "money" else PERCENT)[typed]
        selector = f"[id='r-{name}']"
        if want is None:
            _error_on(page, selector)
            assert _draft_rule(site, rule_id) is None
            continue
        expect(page.locator(".flash.ok")).to_be_visible()
        rule = _draft_rule(site, rule_id)
        assert rule is not None, (kind, name, typed)
        assert _stored(rule, name) == want


# -- importing over an existing campaign asks first -------------------------------------------


def _paste_import(page: Page, site: Site, rule_id: str) -> None:
    rule = f'"id": "{rule_id}", "kind": "amount_off", "name": "R$ 1,10", "amount": 1.10'
    doc = '{"rules": [{' + rule + ', "applies_to": {"skus": ["A"]}}]}'  # 1.10: a JSON number
    page.goto(site.url("/admin/campaigns"))
    page.fill("#import-campaign_id", "importada")
    page.fill("#import-name", "Importada")
    page.fill("#import-document", doc)
    page.click("text=Importar no rascunho")


def test_import_over_an_existing_campaign_confirms_in_portuguese(page: Page, site: Site) -> None:
    _paste_import(page, site, "primeira")
    expect(page.locator(".flash.ok")).to_be_visible()
    _paste_import(page, site, "segunda")
    expect(page.locator("#import-replace-warning")).to_contain_text("substitui todas elas")
    expect(page.locator("#replaced-rules")).to_contain_text("primeira")
    expect(page.locator("#incoming-rules")).to_contain_text("segunda")
    with new_session(site.app) as s:
        draft = s.get(CampaignDraft, "importada")
        assert draft is not None
        assert [r["id"] for r in draft.document["rules"]] == ["primeira"]
    page.click("#confirm-replace")
    expect(page.locator(".flash.ok")).to_be_visible()
    with new_session(site.app) as s:
        draft = s.get(CampaignDraft, "importada")
        assert draft is not None
        assert [(r["id"], r["amount"]) for r in draft.document["rules"]] == [("segunda", "1.10")]
