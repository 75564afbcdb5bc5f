"""The portal's configuration keys, read with :func:`setting`.

Their defaults are in the server's one table, ``server.config.DEFAULTS`` (the ``PORTAL_*``
keys, and ``CARD_PREFIX`` for the chain's card numbers).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from ..config import DEFAULTS


def setting(key: str, app: Flask | None = None) -> Any:
    """The value of a key: the app's config, else the default."""
    config = (app or current_app).config
    return config[key] if key in config else DEFAULTS[key]
