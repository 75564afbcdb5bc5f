"""Language: pt-BR by default, English on request; every message has a pt-BR translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask

from server.portal.messages_pt import PT_BR

PORTAL = Path(__file__).parents[3] / "server" / "portal"
# Messages passed to _() as a variable in templates: statement kinds, voucher states, consents.
DYNAMIC = {
    "earn",
    "redeem",
    "expire",
    "reverse",
    "adjust",
    "mature",
    "migration",
    "valid",
    "used",
    "expired",
    "void",
    "not_yet",
    "terms",
    "marketing_email",
    "marketing_sms",
    "portal",
    "till",
    "deletion",
}
_TEMPLATE_MSG = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _messages() -> set[str]:
    found = set(DYNAMIC)
    from server.portal.blueprint import _ERRORS  # the error pages' titles and texts

    found.update(text for pair in _ERRORS.values() for text in pair)
    for path in (PORTAL / "templates").rglob("*.html"):
        for m in _TEMPLATE_MSG.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    for path in PORTAL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name in ("_", "gettext") and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    return found


def test_every_message_has_a_pt_br_translation() -> None:
    messages = _messages()
    assert len(messages) > 100
    missing = sorted(messages - PT_BR.keys())
    assert not missing, missing
    unused = sorted(PT_BR.keys() - messages)
    assert not unused, unused


def test_pt_br_is_the_default(app: Flask) -> None:
    page = app.test_client().get("/portal/signin").get_data(as_text=True)
    assert '<html lang="pt-BR">' in page
    assert "Entrar" in page
    assert "Esqueceu a senha?" in page


def test_accept_language_picks_english(app: Flask) -> None:
    page = app.test_client().get("/portal/signin", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert "Forgot your password?" in page.get_data(as_text=True)
    page = app.test_client().get("/portal/signin", headers={"Accept-Language": "pt-PT,en;q=0.5"})
    assert '<html lang="pt-BR">' in page.get_data(as_text=True)


def test_lang_switch_is_remembered_in_a_cookie(app: Flask) -> None:
    c = app.test_client()
    r = c.get("/portal/signin?lang=en")
    assert "Sign in" in r.get_data(as_text=True)
    assert "portal_lang=en" in r.headers["Set-Cookie"]
    assert '<html lang="en">' in c.get("/portal/join").get_data(as_text=True)
    assert '<html lang="pt-BR">' in c.get("/portal/join?lang=pt-BR").get_data(as_text=True)
    assert '<html lang="pt-BR">' in c.get("/portal/join?lang=xx").get_data(as_text=True)


def test_every_field_has_a_label_and_the_layout_a_skip_link(app: Flask) -> None:
    for path in ("/portal/join", "/portal/signin", "/portal/reset"):
        page = app.test_client().get(path).get_data(as_text=True)
        assert 'class="skip" href="#main"' in page
        assert 'id="main"' in page
        inputs = re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*>', page)
        visible = [i for i in inputs if i != "csrf_token"]
        assert visible, path
        for field_id in visible:
            assert f'<label for="{field_id}">' in page, (path, field_id)


def test_security_headers(app: Flask) -> None:
    r = app.test_client().get("/portal/signin")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
