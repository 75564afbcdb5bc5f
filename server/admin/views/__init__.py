"""The admin blueprint's views, one module per page group; importing them adds their routes."""

from __future__ import annotations

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    from . import (  # noqa: F401
        audit_log,
        auth,
        campaigns,
        exports,
        held_entries,
        imports,
        jobs,
        members,
        raffles,
        reports,
        segments,
        stores,
        sync_issues,
        tiers,
        users,
        vouchers,
    )

    _loaded = True
