"""The admin blueprint's views, one module per page group; importing them adds their routes."""

from __future__ import annotations

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    from . import audit_log, auth, campaigns, members, reports, segments, stores, users, vouchers  # noqa: F401

    _loaded = True
