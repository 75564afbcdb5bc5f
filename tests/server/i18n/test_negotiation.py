"""Which language a request gets: ``?lang=``, then the remembered choice, then
``Accept-Language`` by quality, then pt-BR; any Portuguese is pt-BR, any English is ``en``."""

from __future__ import annotations

import pytest

from server.i18n import negotiate, normalize


@pytest.mark.parametrize(
    ("asked", "remembered", "accept", "expected"),
    [
        (None, None, [], "pt-BR"),
        ("en", None, [], "en"),
        ("en", "pt-BR", [("pt-BR", 1.0)], "en"),
        (None, "en", [("pt-BR", 1.0)], "en"),
        ("xx", "en", [], "en"),
        ("xx", None, [("fr", 1.0)], "pt-BR"),
        (None, None, [("en-US", 1.0), ("en", 0.9)], "en"),
        (None, None, [("pt-PT", 1.0), ("en", 0.5)], "pt-BR"),
        (None, None, [("fr", 1.0), ("en", 0.5)], "en"),
        (None, None, [("en", 0.0)], "pt-BR"),
        (None, None, [("*", 1.0)], "pt-BR"),
        ("EN-gb", None, [], "en"),
        ("pt_BR", "en", [], "pt-BR"),
    ],
)
def test_negotiate(
    asked: str | None, remembered: str | None, accept: list[tuple[str, float]], expected: str
) -> None:
    assert negotiate(asked, remembered, accept) == expected


def test_normalize() -> None:
    assert [normalize(v) for v in ("pt", "pt-BR", "en-US", "", None, "es", " en ")] == [
        "pt-BR",
        "pt-BR",
        "en",
        None,
        None,
        None,
        "en",
    ]
