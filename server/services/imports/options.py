"""Import options from the server's configuration (the chain's time zone and card prefixes)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .report import ImportOptions, OnDuplicate


def options_for_app(app: Flask, **given: Any) -> ImportOptions:
    """:class:`ImportOptions` with the app's ``CHAIN_TIME_ZONE``, ``CARD_PREFIX`` and
    ``CARD_LEGACY_PREFIXES``, then ``given`` (``on_duplicate`` may be the text ``merge``)."""
    if isinstance(given.get("on_duplicate"), str):
        given["on_duplicate"] = OnDuplicate(given["on_duplicate"])
    base: dict[str, Any] = {
        "time_zone": str(app.config.get("CHAIN_TIME_ZONE") or "America/Sao_Paulo"),
        "card_prefix": str(app.config.get("CARD_PREFIX") or "29"),
        "legacy_card_prefixes": tuple(str(p) for p in app.config.get("CARD_LEGACY_PREFIXES") or ()),
    }
    return ImportOptions(**(base | given))
