"""Which language a request gets: pt-BR unless the person asked for English.

The order, the same for head office and shoppers: ``?lang=`` (the person's choice, which the
area remembers in its cookie), then that cookie, then the browser's ``Accept-Language`` by
quality; anything that is neither Portuguese nor English falls back to pt-BR. Any Portuguese
(``pt``, ``pt-PT``) means pt-BR, any English (``en-US``, ``en-GB``) means ``en``.
"""

from __future__ import annotations

from collections.abc import Iterable

LANGUAGES = ("pt-BR", "en")
DEFAULT = "pt-BR"


def normalize(value: str | None) -> str | None:
    """``pt-BR`` or ``en`` for a tag of either language, else ``None``."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    if primary == "pt":
        return "pt-BR"
    if primary == "en":
        return "en"
    return None


def negotiate(
    asked: str | None, remembered: str | None, accept: Iterable[tuple[str, float]]
) -> str:
    """The language for a request: ``asked`` (``?lang=``), ``remembered`` (the cookie), then
    ``accept`` (``Accept-Language`` as ``(tag, quality)``, best first), then pt-BR."""
    chosen = normalize(asked) or normalize(remembered)
    if chosen:
        return chosen
    for tag, quality in accept:
        found = normalize(tag)
        if found and quality > 0:
            return found
    return DEFAULT
