"""Every error under ``/admin`` is an HTML page in the person's language with a way back to the
start page; the sync API keeps its JSON errors (issue 23, defect 1)."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from .conftest import Office, add_admin, add_store

PT = "pt-BR"


def _page(r: TestResponse, status: int) -> str:
    assert r.status_code == status
    assert r.mimetype == "text/html", r.get_data(as_text=True)[:200]
    html = r.get_data(as_text=True)
    assert 'href="/admin/"' in html  # the way back
    return html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (PT, ["O período termina antes de começar.", "Voltar ao início", '<html lang="pt-BR">']),
        ("en", ["The period ends before it starts.", "Back to the start page"]),
    ],
)
def test_reversed_period_is_a_page_in_the_language(
    office: Office, lang: str, words: list[str]
) -> None:
    office.client.set_cookie("tc_admin_lang", lang)
    html = _page(office.get("/admin/reports?from=2026-03-10&until=2026-03-01"), 400)
    for word in words:
        assert word in html


def test_over_long_period_names_the_limit(office: Office) -> None:
    office.client.set_cookie("tc_admin_lang", PT)
    html = _page(office.get("/admin/reports?from=2024-01-01&until=2026-01-01"), 400)
    assert "Um período tem no máximo 366 dias." in html
    html = _page(office.get("/admin/sync-issues?from=2026-13-01"), 400)
    assert "Uma data não está no formato AAAA-MM-DD." in html


@pytest.mark.parametrize(
    ("lang", "text"), [(PT, "Não há nada neste endereço."), ("en", "There is nothing at")]
)
def test_unknown_admin_url_is_a_page(app: Flask, office: Office, lang: str, text: str) -> None:
    office.client.set_cookie("tc_admin_lang", lang)
    assert text in _page(office.get("/admin/no-such-page"), 404)
    anonymous = app.test_client()  # before any sign-in, too
    anonymous.set_cookie("tc_admin_lang", lang)
    assert text in _page(anonymous.get("/admin/no/such/thing"), 404)


def test_forbidden_method_too_large_and_crash_are_pages(app: Flask, office: Office) -> None:
    office.client.set_cookie("tc_admin_lang", PT)
    r = office.client.put("/admin/login")
    assert "Este endereço não aceita esse tipo de pedido." in _page(r, 405)
    assert "GET" in r.headers["Allow"]
    add_store(app, "S1")
    add_admin(app, "gil@hq.example", "store_manager", stores=("S1",))
    manager = Office(app.test_client(), PT)
    manager.login("gil@hq.example")
    assert "Acesso negado" in _page(manager.get("/admin/users"), 403)
    app.config["MAX_CONTENT_LENGTH"] = 100
    r = office.client.post("/admin/login", data={"email": "x" * 500})
    assert "Grande demais" in _page(r, 413)
    app.config["MAX_CONTENT_LENGTH"] = None

    def boom() -> str:
        raise RuntimeError("kaboom")

    app.view_functions["admin.home"] = boom
    html = _page(office.get("/admin/"), 500)
    assert "Algo deu errado" in html
    assert "kaboom" not in html


def test_api_errors_stay_json(app: Flask) -> None:
    client = app.test_client()
    for path in ("/api/v1/no-such-thing", "/api/v1/sync"):
        r = client.get(path)
        assert r.status_code in (401, 404, 405)
        assert r.is_json
        assert "code" in r.get_json()
    r = client.get("/elsewhere")
    assert r.status_code == 404
    assert r.is_json
