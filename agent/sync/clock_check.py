"""The till's clock against the server's, measured at every sync and kept for the status.

The sync client measures the difference from each answer's ``Date`` header
(:attr:`agent.sync.client.SyncClient.clock_skew`, the till's clock minus the server's). The
worker copies it into the cache's ``meta`` after every round (``clock_skew_seconds``,
``clock_checked_at``), so ``tillclub agent status`` shows it whether or not the agent runs, and
the QR check can tell a phone code refused by a till clock that is ahead from one that really
expired.
"""

from __future__ import annotations

import sqlite3
import time

SKEW_KEY = "clock_skew_seconds"
CHECKED_KEY = "clock_checked_at"


def store_skew(cache: sqlite3.Connection, skew: float, at: float | None = None) -> None:
    """Keep the latest measure (seconds, the till's clock minus the server's)."""
    cache.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [(SKEW_KEY, repr(float(skew))), (CHECKED_KEY, repr(time.time() if at is None else at))],
    )
    if cache.in_transaction:
        cache.commit()


def read_skew(cache: sqlite3.Connection) -> tuple[float, float] | None:
    """The latest measure and when it was taken (epoch seconds), or ``None`` if never."""
    try:
        rows = dict(
            cache.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", (SKEW_KEY, CHECKED_KEY)
            ).fetchall()
        )
        return float(rows[SKEW_KEY]), float(rows[CHECKED_KEY])
    except (KeyError, ValueError, TypeError, sqlite3.Error):
        return None


def describe(skew: float) -> str:
    """``"12 min ahead of"`` / ``"3.0 h behind"`` the server."""
    size = abs(skew)
    amount = (
        f"{size:.0f} s"
        if size < 120
        else f"{size / 60:.0f} min"
        if size < 7200
        else (f"{size / 3600:.1f} h")
    )
    return f"{amount} {'ahead of' if skew > 0 else 'behind'}"
