"""The portal in headless Chromium at a phone viewport, against the real server over HTTP.

Screenshots go to ``test-artifacts/portal/``. Runs on SQLite with the server's real clock
(the phone's clock decides which pre-minted QR code is current).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from loyalty.identification import verify_qr
from server.db import get_engine
from server.services.campaign_publish import put_campaign
from server.services.offers import add_offer
from server.services.uow import SqlUnitOfWork

from .conftest import (
    CAMPAIGN,
    COFFEE,
    LiveServer,
    Mailbox,
    agent_for,
    build_app,
    empty,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).parents[3] / "test-artifacts" / "portal"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "pt-BR",
    "timezone_id": "America/Sao_Paulo",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
TOKENS_KEY = "tillclub-card-tokens"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(
    sqlite_db: str, qr_key: tuple[Path, Ed25519PrivateKey], smtp: tuple[Mailbox, int]
) -> Iterator[tuple[Flask, LiveServer]]:
    app = build_app(sqlite_db, qr_key[0], SESSION_COOKIE_SECURE=False, PORTAL_SMTP_PORT=smtp[1])
    empty(app)
    server = LiveServer(app)
    try:
        yield app, server
    finally:
        server.stop()
        get_engine(app).dispose()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    try:
        yield context
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def join(page: Any, base: str, email: str = "ana@example.com") -> None:
    page.goto(f"{base}/portal/join")
    page.get_by_label("CPF", exact=True).fill("390.533.447-05")
    page.get_by_label("Nome completo").fill("Ana Souza")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Data de nascimento").fill("1990-05-17")
    page.get_by_label("Senha (pelo menos 8 caracteres)").fill("correct horse 1")
    page.get_by_label("Repita a senha").fill("correct horse 1")
    page.get_by_label("Li e aceito o regulamento").check()
    page.get_by_label("Quero receber ofertas por e-mail").check()
    shot(page, "01-join")
    page.get_by_role("button", name="Participar").click()
    page.wait_for_url(re.compile(r".*/portal/card$"))


def test_join_card_offline_activate_offer_and_sale_at_the_till(
    site: tuple[Flask, LiveServer],
    phone: Any,
    qr_key: tuple[Path, Ed25519PrivateKey],
    tmp_path: Path,
) -> None:
    app, live = site
    page = phone.new_page()
    join(page, live.url)
    qr = page.locator("#qr")
    page.wait_for_selector("#qr svg")
    token = qr.get_attribute("data-token")
    assert token is not None
    now = dt.datetime.now(dt.UTC)
    member_number = verify_qr(token, qr_key[1].public_key(), now=now).member_id
    assert page.locator("#card-number").inner_text().startswith("29")
    assert "Código válido até" in page.locator("#qr-status").inner_text()
    assert page.locator(".barcode svg").is_visible()
    shot(page, "02-card")

    # The service worker takes control; then the card works with no signal at all.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    stored = json.loads(page.evaluate(f"localStorage.getItem('{TOKENS_KEY}')"))
    assert len(stored["tokens"]) == 12
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector("#qr svg")
    assert page.locator("#qr").get_attribute("data-token") in {t["token"] for t in stored["tokens"]}
    shot(page, "03-card-offline")

    # Past the last pre-minted window (simulated by stale tokens): the barcode, and a hint.
    old = dict(
        stored,
        tokens=[
            dict(t, not_before="2020-01-01T00:00:00+00:00", expires_at="2020-01-01T00:05:00+00:00")
            for t in stored["tokens"]
        ],
    )
    page.evaluate(f"localStorage.setItem('{TOKENS_KEY}', {json.dumps(json.dumps(old))})")
    page.reload()
    page.wait_for_function("document.getElementById('card').classList.contains('offline')")
    assert not page.locator("#qr").is_visible()
    assert page.locator(".barcode svg").is_visible()
    assert "Sem sinal" in page.locator("#qr-status").inner_text()
    shot(page, "04-card-no-valid-code")
    phone.set_offline(False)

    # Head office gives Ana a personal coffee price that she must activate; a running till
    # agent (holding only the QR public key) syncs it, and she pays at that till.
    member_id = str(member_number)
    rule = {
        "id": "perso-cafe-1",
        "kind": "member_price",
        "name": "Seu preço",
        "sku": COFFEE,
        "price": "14.99",
        "audience": {"member_ids": [member_id]},
        "requires_activation": True,
    }
    put_campaign(
        SqlUnitOfWork.for_app(app),
        "base",
        "Base",
        {"timezone": "America/Sao_Paulo", "rules": [*CAMPAIGN["rules"], rule]},
    )
    add_offer(
        SqlUnitOfWork.for_app(app),
        "perso-cafe-1",
        member_id,
        "Café Pilão 500 g",
        rule,
        requires_activation=True,
    )
    public_pem = (
        qr_key[1]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    agent = agent_for(tmp_path, app, live.url, public_pem)
    agent.start()
    try:
        wait_for(lambda: agent.lookups.member_by_id(member_id) is not None)
        wait_for(lambda: agent.rules.rule_count == 2)
        coffee = [{"sku": COFFEE, "qty": "1", "unit_price": "17.49", "category": "mercearia"}]
        page.goto(f"{live.url}/portal/card")
        page.wait_for_selector("#qr svg")
        shown = page.locator("#qr").get_attribute("data-token")  # what the till's scanner reads
        assert agent.sales.identify("s1", shown)["member"]["id"] == member_id
        assert agent.sales.price("s1", coffee)["total"] in ("17.49", "R$ 17,49", 1749)
        agent.sales.finalise("s1")

        page.goto(f"{live.url}/portal/offers")
        shot(page, "05-offers")
        page.get_by_role("button", name="Ativar oferta").click()
        page.wait_for_selector("text=Ativada em")
        shot(page, "06-offer-activated")
        wait_for(lambda: any(o.activated for o in agent.lookups.offers_for_member(member_id)))

        page.goto(f"{live.url}/portal/card")
        page.wait_for_selector("#qr svg")
        agent.sales.identify("s2", page.locator("#qr").get_attribute("data-token"))
        quote = agent.sales.price("s2", coffee)
        assert quote["total"] in ("14.99", "R$ 14,99", 1499), quote
        agent.sales.finalise("s2")
        wait_for(lambda: agent.status()["queue"]["depth"] == 0)
    finally:
        agent.stop()
        agent.close()

    page.goto(f"{live.url}/portal/statement")
    assert page.locator("#points-available").inner_text() == "31"  # 17 + 14, one line per sale
    assert page.content().count("1 ponto por real") == 2
    assert "Loja Centro" in page.content()
    shot(page, "07-statement")


def test_password_reset_through_the_smtp_server(
    site: tuple[Flask, LiveServer], phone: Any, smtp: tuple[Mailbox, int]
) -> None:
    app, live = site
    page = phone.new_page()
    join(page, live.url)
    page.get_by_role("button", name="Sair").click()
    page.wait_for_url(re.compile(r".*/portal/signin$"))
    page.get_by_role("link", name="Esqueceu a senha?").click()
    page.get_by_label("E-mail", exact=True).fill("ana@example.com")
    page.get_by_role("button", name="Enviar o link").click()
    page.wait_for_selector("text=Confira seu e-mail")
    shot(page, "08-reset-sent")
    box = smtp[0]
    assert len(box.messages) == 1
    body = box.messages[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/portal/reset/\S+", body)
    assert link is not None
    page.goto(link.group(0))
    page.get_by_label("Nova senha").fill("a brand new one")
    page.get_by_label("Repita a senha").fill("a brand new one")
    shot(page, "09-reset-form")
    page.get_by_role("button", name="Salvar a nova senha").click()
    page.wait_for_selector("text=Sua senha foi alterada")
    page.get_by_label("CPF ou e-mail").fill("390.533.447-05")
    page.get_by_label("Senha", exact=True).fill("a brand new one")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    assert "Olá, Ana" in page.content()


def test_export_and_delete(site: tuple[Flask, LiveServer], phone: Any) -> None:
    _, live = site
    page = phone.new_page()
    join(page, live.url)
    page.goto(f"{live.url}/portal/privacy")
    shot(page, "10-privacy")
    with page.expect_download() as info:
        page.get_by_role("link", name="Baixar todos os meus dados (JSON)").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["member"]["cpf"] == "39053344705"
    assert data["member"]["name"] == "Ana Souza"
    assert data["consents"]["current"]["marketing_email"] is True
    page.locator("#delete_password").fill("correct horse 1")
    page.get_by_label("Entendi: excluir minha conta").check()
    page.get_by_role("button", name="Excluir minha conta").click()
    page.wait_for_selector("text=Conta excluída")
    shot(page, "11-deleted")
    page.goto(f"{live.url}/portal/card")
    assert (
        page.url.endswith("/portal/signin?next=/portal/card&expired=1")
        or "/portal/signin" in page.url
    )


def test_forged_and_stale_sessions_are_refused(
    site: tuple[Flask, LiveServer], browser: Any
) -> None:
    _, live = site
    a = browser.new_context(**PHONE)
    b = browser.new_context(**PHONE)
    try:
        page = a.new_page()
        join(page, live.url)
        cookie = next(c for c in a.cookies() if c["name"] == "session")
        # A forged cookie (one character changed in the signed payload) is not a session.
        forged = dict(
            cookie,
            value=cookie["value"][:5]
            + ("x" if cookie["value"][5] != "x" else "y")
            + cookie["value"][6:],
        )
        b.add_cookies([forged])
        other = b.new_page()
        other.goto(f"{live.url}/portal/")
        assert "/portal/signin" in other.url
        # The genuine cookie, copied to another phone, works until the password changes.
        b.clear_cookies()
        b.add_cookies([cookie])
        other.goto(f"{live.url}/portal/")
        assert other.url.endswith("/portal/")
        page.goto(f"{live.url}/portal/password")
        page.get_by_label("Senha atual").fill("correct horse 1")
        page.get_by_label("Nova senha").fill("changed horse 2")
        page.get_by_label("Repita a senha").fill("changed horse 2")
        page.get_by_role("button", name="Salvar a nova senha").click()
        page.wait_for_selector("text=Senha alterada")
        other.goto(f"{live.url}/portal/offers")
        assert "/portal/signin" in other.url
        assert "Sua sessão terminou" in other.content()
        shot(other, "12-stale-session")
    finally:
        a.close()
        b.close()
