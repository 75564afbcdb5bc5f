"""An area's messages and the one lookup: English text (the key) -> pt-BR, ``{name}`` values.

Messages are written in English in code and templates (``_("Page {page} of {pages}")``); the
English text is the key, so English needs no table of its own. A message missing from the
pt-BR table shows in English rather than failing the page; each area's test fails first.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from .negotiation import DEFAULT


@dataclass(frozen=True)
class Messages:
    """One area's translations (``name``: ``admin``, ``portal``), English key -> pt-BR."""

    name: str
    pt_br: Mapping[str, str]

    def text(self, message: str, lang: str) -> str:
        """``message`` in ``lang``, placeholders not filled in."""
        return self.pt_br.get(message, message) if lang == DEFAULT else message


def translate(messages: Messages, lang: str, message: str, **values: object) -> str:
    """``message`` in ``lang`` with its ``{name}`` placeholders filled from ``values``.

    >>> translate(Messages("x", {"{n} points": "{n} pontos"}), "pt-BR", "{n} points", n=3)
    '3 pontos'

    Without values the text is returned as it is (a template may hand a placeholder to a
    script, ``card.js`` fills ``{time}`` in the browser).
    """
    text = messages.text(message, lang)
    return text.format(**values) if values else text


def placeholders(text: str) -> list[str]:
    """The names of ``text``'s ``{name}`` placeholders, in order, repeats kept."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
