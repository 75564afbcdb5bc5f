"""Both areas' messages: every message has a pt-BR text with the same ``{name}``
placeholders, fills in both languages, and nothing is left in the old ``%(name)s`` style."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from server.admin.messages_pt import MESSAGES as ADMIN
from server.i18n import Messages, placeholders, translate
from server.portal.messages_pt import MESSAGES as PORTAL

SERVER = Path(__file__).resolve().parents[3] / "server"
TABLES = [ADMIN, PORTAL]


@pytest.mark.parametrize("messages", TABLES, ids=lambda c: c.name)
def test_every_message_is_in_both_languages_with_the_same_placeholders(
    messages: Messages,
) -> None:
    assert len(messages.pt_br) > 100
    for english, portuguese in messages.pt_br.items():
        assert english.strip(), english
        assert portuguese.strip(), english
        assert Counter(placeholders(english)) == Counter(placeholders(portuguese)), english
        values = {name: f"<{name}>" for name in placeholders(english)}
        for lang in ("pt-BR", "en"):
            text = translate(messages, lang, english, **values)
            assert all(v in text for v in values.values()), (lang, english)
            assert "{" not in text.replace("{{", ""), (lang, english)


def test_the_placeholder_check_sees_a_mismatch() -> None:
    assert Counter(placeholders("{n} of {m}")) != Counter(placeholders("{n} de {n}"))
    assert placeholders("Hello {name}, {n} points") == ["name", "n"]


@pytest.mark.parametrize("area", ["admin", "portal"])
def test_no_message_in_the_old_percent_style(area: str) -> None:
    old = re.compile(r"%\(\w+\)s")
    found = [
        str(path.relative_to(SERVER))
        for path in (SERVER / area).rglob("*")
        if path.suffix in {".py", ".html", ".js"} and old.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_same_key_may_read_differently_in_each_area() -> None:
    """One lookup, two tables of messages: an area finds its own words, never the other's."""
    assert translate(ADMIN, "pt-BR", "Vouchers") == ADMIN.pt_br["Vouchers"]
    assert translate(PORTAL, "pt-BR", "Vouchers") == PORTAL.pt_br["Vouchers"]
    assert translate(ADMIN, "en", "Vouchers") == "Vouchers"
    assert translate(PORTAL, "pt-BR", "not a message {n}", n=2) == "not a message 2"
