"""Every error under ``/portal`` is an HTML page in the shopper's language with a link to the
portal's start; the API keeps JSON (issue 23, defect 1)."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.test import TestResponse


def _page(r: TestResponse, status: int) -> str:
    assert r.status_code == status
    assert r.mimetype == "text/html", r.get_data(as_text=True)[:200]
    html = r.get_data(as_text=True)
    assert 'href="/portal/"' in html
    return html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("pt-BR", ["Esta página não existe.", "Voltar ao início"]),
        ("en", ["This page does not exist.", "Back to the start"]),
    ],
)
def test_unknown_portal_url_is_a_page(app: Flask, lang: str, words: list[str]) -> None:
    client = app.test_client()
    client.set_cookie("portal_lang", lang)
    html = _page(client.get("/portal/no/such/page"), 404)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html


def test_method_size_and_crash_are_pages(app: Flask) -> None:
    client = app.test_client()
    assert "Este endereço não aceita" in _page(client.put("/portal/signin"), 405)
    app.config["MAX_CONTENT_LENGTH"] = 100
    r = client.post("/portal/signin", data={"x": "y" * 500})
    assert "Grande demais" in _page(r, 413)
    app.config["MAX_CONTENT_LENGTH"] = None

    def boom() -> str:
        raise RuntimeError("kaboom")

    app.view_functions["portal.home"] = boom
    html = _page(client.get("/portal/?lang=en"), 500)
    assert "Something went wrong" in html
    assert "kaboom" not in html


def test_api_stays_json(app: Flask) -> None:
    r = app.test_client().get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.is_json
