"""The raffle pages in a real browser: Playwright driving Debian's headless Chromium against the
real server on 127.0.0.1 (werkzeug, port 0, SQLite migrated with Alembic).

GIVEN a raffle and a till enrolled over HTTP
WHEN head office opens Sorteios, picks the store's terminal, asks for too many numbers, then
for 500
THEN the refusal shows on the size field and nothing is reserved, then the block is listed with
its range and the till pulls it through the real sync API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect, sync_playwright

from server.migrate import upgrade
from server.services.raffles import add_raffle
from server.services.terminals import add_store, register_terminal
from server.services.uow import SqlUnitOfWork
from tests.support.live import start_serving

from .conftest import PASSWORD, add_admin, build_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin"
LAUNCH = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin-raffles') / 'server.db'}"
    upgrade(url)
    app = build_app(url, WTF_CSRF_TIME_LIMIT=None)
    app.config["TESTING"] = False
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Centro")
    add_admin(app, "ana@hq.example", "admin")
    now = dt.datetime.now(dt.UTC)
    add_raffle(
        SqlUnitOfWork.for_app(app), "natal", "Natal Premiado", "SPA/MF 04.000123/2026",
        Decimal("50.00"), now - dt.timedelta(days=1), now + dt.timedelta(days=30),
    )  # fmt: skip
    served = start_serving(app)
    base = served.url
    reg = register_terminal(SqlUnitOfWork.for_app(app), "LOJA-01", "PDV 1", ttl_hours=1)
    term = requests.post(
        base + "/api/v1/terminals/register", json={"code": reg.registration_code}, timeout=10
    ).json()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield base, term
    served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH)
        yield b
        b.close()


def test_reserve_a_block_through_the_page(
    browser: Browser, site: tuple[str, dict[str, str]]
) -> None:
    base, term = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    page.goto(base + "/admin/login?lang=pt-BR")
    page.fill("#email", "ana@hq.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")
    page.click("nav >> text=Sorteios")
    expect(page.locator("h1")).to_have_text("Sorteios")
    page.click("text=Natal Premiado")
    expect(page.locator("#raffle-authorisation")).to_have_text("SPA/MF 04.000123/2026")
    expect(page.locator("#blocks tbody")).to_contain_text("Nenhum bloco ainda")
    page.select_option("#terminal_id", term["terminal_id"])
    page.fill("#size", "100001")
    page.click("#reserve-block button[type=submit]")
    expect(page.locator("#size")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#size-error")).to_be_visible()
    expect(page.locator("#blocks tbody")).to_contain_text("Nenhum bloco ainda")
    page.fill("#size", "500")
    page.click("#reserve-block button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("Posições 0-499 reservadas")
    row = page.locator(f"#blocks tr[data-terminal='{term['terminal_id']}']")
    expect(row.locator("td.range")).to_have_text("0–499")
    expect(row).to_contain_text("LOJA-01 · Centro")
    expect(page.locator("#raffle-reserved")).to_have_text("500")
    page.screenshot(path=str(ARTIFACTS / "raffle-pt-BR.png"), full_page=True)
    for path in ("/admin/raffles?lang=en", "/admin/raffles/natal?lang=en"):
        response = page.goto(base + path)
        assert response is not None
        assert response.status == 200, path
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
        name = "raffles" if path.startswith("/admin/raffles?") else "raffle"
        page.screenshot(path=str(ARTIFACTS / f"{name}-en.png"), full_page=True)
    expect(page.locator("#blocks td.range")).to_have_text("0–499")
    # The till gets its block through the real sync API over HTTP.
    r = requests.get(
        base + "/api/v1/changes?cursor=0&limit=500",
        headers={"Authorization": f"Bearer {term['credential']}"},
        timeout=10,
    )
    assert r.status_code == 200
    blocks = [c["data"] for c in r.json()["changes"] if c["type"] == "raffle_block"]
    assert [(b["raffle_id"], b["first_position"], b["size"]) for b in blocks] == [("natal", 0, 500)]
    context.close()
