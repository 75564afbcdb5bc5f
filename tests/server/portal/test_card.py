"""The digital card: QR tokens the tills verify offline, the printed barcode, key problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import select

from loyalty.identification import (
    IdentificationError,
    Reason,
    card_number,
    parse_card_ean,
    verify_qr,
)
from server.db import new_session
from server.models import Card

from .conftest import T0, Clock, Shopper


def test_tokens_verify_with_the_public_key_and_carry_the_card_member_number(
    app: Flask, shopper: Shopper, qr_key: tuple[Path, Ed25519PrivateKey]
) -> None:
    shopper.join()
    body = shopper.client.get("/portal/card/tokens").get_json()
    with app.app_context(), new_session() as s:
        number = s.scalars(select(Card.number)).one()
    assert body["card_number"] == number
    tokens = body["tokens"]
    assert len(tokens) == 12
    public = qr_key[1].public_key()
    for i, t in enumerate(tokens):
        start = T0 + dt.timedelta(minutes=4 * i)
        assert dt.datetime.fromisoformat(t["not_before"]) == start
        assert dt.datetime.fromisoformat(t["expires_at"]) == start + dt.timedelta(minutes=5)
        # A till verifies it at any moment of its window, with the public key only.
        qr = verify_qr(t["token"], public, now=start + dt.timedelta(minutes=4, seconds=59))
        assert card_number(qr.member_id, "29") == number
        assert qr.member_id == parse_card_ean(number)
        assert t["svg"].startswith("<svg")
        assert "<script" not in t["svg"]
    assert len({t["token"] for t in tokens}) == 12


def test_each_token_is_short_lived(
    shopper: Shopper, qr_key: tuple[Path, Ed25519PrivateKey]
) -> None:
    shopper.join()
    first = shopper.client.get("/portal/card/tokens").get_json()["tokens"][0]["token"]
    public = qr_key[1].public_key()
    with pytest.raises(IdentificationError) as caught:
        verify_qr(first, public, now=T0 + dt.timedelta(minutes=7))
    assert caught.value.reason is Reason.QR_EXPIRED


def test_tokens_are_minted_fresh_and_never_cached(shopper: Shopper, clock: Clock) -> None:
    shopper.join()
    a = shopper.client.get("/portal/card/tokens")
    clock.advance(minutes=20)
    b = shopper.client.get("/portal/card/tokens")
    assert a.headers["Cache-Control"] == "private, no-store"
    assert dt.datetime.fromisoformat(b.get_json()["tokens"][0]["not_before"]) == T0 + dt.timedelta(
        minutes=20
    )


def test_tokens_need_a_session(app: Flask, shopper: Shopper) -> None:
    r = app.test_client().get("/portal/card/tokens")
    assert r.status_code == 401
    assert r.get_json()["code"] == "signed_out"


def test_card_page_shows_the_printed_barcode_offline_fallback(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    page = shopper.client.get("/portal/card").get_data(as_text=True)
    number = card_number(9_000_000_001, "29")
    assert f'data-card="{number}"' in page
    assert number in page
    assert "<svg" in page
    assert "style=" not in page.split('class="barcode"')[1].split("</svg>")[0]
    assert 'data-sw-url="/portal/sw.js"' in page


def test_a_missing_signing_key_is_a_clear_error(make_app: object, tmp_path: Path) -> None:
    from collections.abc import Callable

    assert callable(make_app)
    factory: Callable[..., Flask] = make_app  # type: ignore[assignment]
    app = factory(QR_PRIVATE_KEY_PATH=str(tmp_path / "missing.pem"))
    app.extensions["tillclub.portal"].clock = Clock(T0)
    s = Shopper(app.test_client())
    s.join()
    r = s.client.get("/portal/card/tokens")
    assert r.status_code == 503
    assert r.get_json()["code"] == "qr_key_unreadable"
    assert "missing.pem" in r.get_json()["message"]


def test_service_worker_and_manifest(app: Flask) -> None:
    c = app.test_client()
    sw = c.get("/portal/sw.js")
    assert sw.status_code == 200
    assert sw.headers["Service-Worker-Allowed"] == "/portal/"
    assert "javascript" in sw.headers["Content-Type"]
    assert "/portal/card" in sw.get_data(as_text=True)
    manifest = c.get("/portal/manifest.webmanifest").get_json(force=True)
    assert manifest["start_url"] == "/portal/card"
    assert manifest["lang"] == "pt-BR"
