"""pt-BR by default, English on request (``?lang=``, cookie, ``Accept-Language``), and every
string the UI shows has a pt-BR entry in the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask

from server.admin import campaign_forms
from server.admin.messages_pt import PT_BR
from server.services import segments

from .conftest import Office

ADMIN = Path(__file__).resolve().parents[3] / "server" / "admin"
_CALL = re.compile(r"""\b_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def _strings() -> set[str]:
    found: set[str] = set()
    for path in [*ADMIN.rglob("*.html"), *ADMIN.rglob("*.py")]:
        for m in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(ast.literal_eval(m.group(1)))
    for spec in (
        *campaign_forms.COMMON_TOP,
        *campaign_forms.COMMON_REST,
        *campaign_forms.PARAMS.values(),
    ):
        found.add(spec.label)
        if spec.hint:
            found.add(spec.hint)
    found.update(campaign_forms.KIND_LABELS.values())
    found.update(segments.RFM_SEGMENTS + segments.VALUE_CLASSES)
    return found


def test_every_string_has_a_portuguese_entry() -> None:
    strings = _strings()
    assert len(strings) > 250
    missing = sorted(s for s in strings if s not in PT_BR)
    assert missing == []


def test_default_is_portuguese_and_switch_is_remembered(app: Flask, office: Office) -> None:
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    assert '<html lang="pt-BR">' in page
    assert ">Entrar<" in page
    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ">Log in<" in page
    assert ">Log in<" in client.get("/admin/login").get_data(as_text=True)  # cookie
    other = app.test_client()
    assert ">Log in<" in other.get(
        "/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"}
    ).get_data(as_text=True)
    assert ">Entrar<" in other.get("/admin/login", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )


def test_money_and_validation_messages_in_portuguese(app: Flask, office: Office) -> None:
    office.client.set_cookie("tc_admin_lang", "pt-BR")
    page = office.post("/admin/stores", {"store_id": "", "name": ""}, from_page="/admin/stores")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Este campo é obrigatório." in html
    assert "Código da loja" in html
