"""The head-office UI in a real browser: Playwright driving Debian's headless Chromium against
the real server on 127.0.0.1 (werkzeug, port 0, SQLite migrated with Alembic).

The main path: log in, create a campaign through the forms, see a bad value refused on its
field, simulate it on last month's sales, publish it, and see it reach an enrolled terminal
through the real sync API (``GET /api/v1/changes`` over HTTP, as the agent calls it); find a
member by CPF, adjust the balance, read the audit log as the auditor; a store manager gets 403
on another store. Every main page is opened in pt-BR and in English, and screenshotted into
``test-artifacts/admin/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from loyalty.rewards import make_entry_id, make_sale_id
from server.migrate import upgrade
from server.services.campaign_publish import put_campaign
from server.services.members import add_member
from server.services.terminals import add_store, register_terminal
from server.services.uow import SqlUnitOfWork
from tests.support.live import start_serving

from .conftest import PASSWORD, add_admin, build_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
CPF = "390.533.447-05"
LAUNCH = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


class Site:
    def __init__(self, base: str, terminal: dict[str, str]) -> None:
        self.base = base
        self.terminal = terminal

    def url(self, path: str) -> str:
        return self.base + path


def _sale(
    term: dict[str, str], seq: int, member: str | None, price: str, at: dt.datetime
) -> dict[str, Any]:
    store, tid = term["store_id"], term["terminal_id"]
    sale_id = make_sale_id(store, tid, seq)
    event: dict[str, Any] = {
        "type": "sale",
        "event_id": f"V:{store}:{tid}:{seq:012d}",
        "store_id": store,
        "terminal_id": tid,
        "occurred_at": at.isoformat(),
        "sale_id": sale_id,
        "member_id": member,
        "currency": "BRL",
        "subtotal": price,
        "discount_total": "0.00",
        "total": price,
        "lines": [
            {
                "line_no": 1,
                "sku": "CAFE500",
                "quantity": "1",
                "unit_price": price,
                "gross": price,
                "discount": "0.00",
                "net": price,
                "category_id": "mercearia",
            }
        ],
    }
    if member:
        event["ledger_entries"] = [
            {
                "entry_id": make_entry_id(store, tid, 1000 + seq),
                "member_id": member,
                "currency": "points",
                "kind": "earn",
                "amount": str(int(float(price))),
                "effective_at": at.isoformat(),
                "store_id": store,
                "terminal_id": tid,
                "sale_id": sale_id,
                "rule_id": "pontos",
            }
        ]
    return event


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin-ui') / 'server.db'}"
    upgrade(url)
    app = build_app(url, WTF_CSRF_TIME_LIMIT=None)
    app.config["TESTING"] = False
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Centro")
    add_store(SqlUnitOfWork.for_app(app), "LOJA-02", "Bairro")
    add_admin(app, "ana@hq.example", "admin")
    add_admin(app, "aud@hq.example", "auditor")
    add_admin(app, "ger@hq.example", "store_manager", ("LOJA-01",))
    cipher = app.extensions["tillclub.cpf"]
    add_member(SqlUnitOfWork.for_app(app), cipher, "m1", "Maria da Silva", cpf=CPF)
    add_member(SqlUnitOfWork.for_app(app), cipher, "m2", "João Pereira")
    # The tills' points are what the server's re-pricing derives (else they are held): one
    # point per real under rule "pontos", as the sales below book.
    put_campaign(
        SqlUnitOfWork.for_app(app),
        "C-PONTOS",
        "Pontos",
        {
            "rules": [
                {
                    "id": "pontos",
                    "kind": "points",
                    "name": "1 ponto por real",
                    "per_amount": "1.00",
                    "points": 1,
                }
            ]
        },
    )
    served = start_serving(app)
    base = served.url
    reg = register_terminal(SqlUnitOfWork.for_app(app), "LOJA-01", "PDV 1", ttl_hours=1)
    term = requests.post(
        base + "/api/v1/terminals/register", json={"code": reg.registration_code}, timeout=10
    ).json()
    last_month = dt.datetime.now(dt.UTC).replace(
        day=1, hour=15, minute=0, second=0, microsecond=0
    ) - dt.timedelta(days=12)
    events = [
        _sale(term, 1, "m1", "18.90", last_month),
        _sale(term, 2, "m2", "18.90", last_month),
        _sale(term, 3, None, "18.90", last_month),
    ]
    pushed = requests.post(
        base + "/api/v1/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {term['credential']}"},
        timeout=10,
    )
    assert pushed.status_code == 200, pushed.text
    assert len(pushed.json()["applied"]) == 3, pushed.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield Site(base, term)
    served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH)
        yield b
        b.close()


def _login(browser: Browser, site: Site, email: str, lang: str = "en") -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    page = context.new_page()
    page.goto(site.url(f"/admin/login?lang={lang}"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url("/admin/"))
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_campaign_from_forms_to_an_agent(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "ana@hq.example")
    page.goto(site.url("/admin/campaigns"))
    page.fill("#campaign_id", "cafe-10")
    page.fill("#name", "Café -10%")
    page.click("form[action$='/admin/campaigns'] button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Café -10%")
    page.select_option("#f-kind", "percent_off")
    page.click("text=Add rule")
    page.fill("[name='id']", "cafe-10")
    page.fill("[name='name']", "Café -10%")
    page.fill("[name='percent']", "110")
    page.fill("[name='applies_to.skus']", "CAFE500")
    page.click("text=Save rule")
    # The engine's message, on the field, and nothing saved.
    expect(page.locator("#r-percent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#r-percent-error")).to_contain_text("between 0 and 100")
    _shot(page, "rule-form-error-en")
    page.fill("[name='percent']", "10")
    page.click("text=Save rule")
    expect(page.locator("table")).to_contain_text("cafe-10")
    expect(page.locator("#publish-blocked")).to_be_visible()
    page.click("text=Run simulation")  # defaults to last month
    expect(page.locator("#sim-sales-reached")).to_have_text("3")
    expect(page.locator("#sim-members-reached")).to_have_text("2")
    expect(page.locator("#sim-discount")).to_have_text("R$5.67")  # 3 × 1.89
    _shot(page, "campaign-simulated-en")
    page.click("text=Publish to the stores")
    expect(page.locator(".flash.ok")).to_contain_text("version 1")
    # An enrolled terminal pulls it through the real sync API over HTTP.
    r = requests.get(
        site.url("/api/v1/changes?cursor=0&limit=500"),
        headers={"Authorization": f"Bearer {site.terminal['credential']}"},
        timeout=10,
    )
    assert r.status_code == 200
    campaigns = [c for c in r.json()["changes"] if c["type"] == "campaign"]
    rules = [c["data"]["document"]["rules"][0]["id"] for c in campaigns]
    assert rules == ["pontos", "cafe-10"]  # the site's points campaign, then the new one
    page.context.close()


def test_member_by_cpf_adjust_and_audit(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "ana@hq.example")
    page.goto(site.url("/admin/members"))
    page.fill("#f-q", "39053344705")
    page.press("#f-q", "Enter")
    page.click("text=Maria da Silva")
    expect(page.locator("#points-available")).to_have_text("18")
    expect(page.locator("body")).to_contain_text("***.533.447-**")
    page.select_option("#currency", "points")
    page.fill("#amount", "50")
    page.fill("#reason", "Goodwill after a till failure")
    page.click("text=Record adjustment")
    expect(page.locator("#points-available")).to_have_text("68")
    _shot(page, "member-en")
    page.context.close()
    auditor = _login(browser, site, "aud@hq.example")
    auditor.goto(site.url("/admin/audit?action=member.adjust"))
    expect(auditor.locator("tbody")).to_contain_text("admin:ana@hq.example")
    expect(auditor.locator("tbody")).to_contain_text("Goodwill after a till failure")
    expect(auditor.locator("form[action*='/adjust']")).to_have_count(0)
    _shot(auditor, "audit-en")
    auditor.context.close()


def test_store_manager_gets_403_on_another_store(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "ger@hq.example")
    response = page.goto(site.url("/admin/stores/LOJA-02"))
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("Not allowed")
    response = page.goto(site.url("/admin/reports?store=LOJA-02"))
    assert response is not None
    assert response.status == 403
    response = page.goto(site.url("/admin/stores/LOJA-01"))
    assert response is not None
    assert response.status == 200
    page.context.close()


PAGES = [
    "/admin/",
    "/admin/members?q=maria",
    "/admin/members/m1",
    "/admin/campaigns",
    "/admin/vouchers",
    "/admin/stores",
    "/admin/stores/LOJA-01",
    "/admin/reports",
    "/admin/segments",
    "/admin/audit",
    "/admin/users",
]
HEADINGS = {"pt-BR": "Sair", "en": "Log out"}


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_every_main_page_in_both_languages(browser: Browser, site: Site, lang: str) -> None:
    page = _login(browser, site, "ana@hq.example", lang)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in PAGES:
        response = page.goto(site.url(path))
        assert response is not None
        assert response.status == 200, path
        assert page.get_attribute("html", "lang") == lang
        expect(page.locator("header")).to_contain_text(HEADINGS[lang])
        assert page.locator("a.skip-link").count() == 1
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""  # noqa: E501
        )
        assert unlabeled == [], (path, unlabeled)
        name = path.strip("/").replace("/", "-").split("?")[0] or "home"
        _shot(page, f"{name}-{lang}")
    start = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=60)).isoformat()
    page.goto(site.url(f"/admin/reports?from={start}"))
    expect(page.locator("canvas#chart-sales")).to_have_attribute("data-rendered", "1")
    assert errors == []
    page.context.close()


def test_keyboard_reaches_the_skip_link_and_login(browser: Browser, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url("/admin/login?lang=pt-BR"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    expect(page.locator("label[for=email]")).to_have_text("E-mail *")
    expect(page.locator("h1")).to_have_text("Entrar")
    context.close()
