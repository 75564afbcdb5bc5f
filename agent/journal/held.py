"""Acknowledged events kept for a restored server, and the sync worker's epoch bookkeeping.

The outbox's applied events move to ``acked_events`` (``Outbox.settle``) and stay
``storage.keep_acknowledged_days``. When the server starts a new epoch (restored from a
backup, failed over), the worker pushes them all again, oldest first, before anything new:
the server applies each event once, so those it still has change nothing and those it lost
come back. Where the re-push stands is kept in ``sync_meta``, so a restart resumes it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..storage_errors import rollback
from .answers import unpack
from .outbox import PendingEvent, keys_of

EPOCH = "server_epoch"
REPUSH_THROUGH = "repush_through"  # last acked_events id to push again (0: none under way)
REPUSH_DONE = "repush_done"  # last id pushed again
LAST_CHANGE = "epoch_change"  # JSON: what the last epoch change did, for the status


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO sync_meta VALUES (?, ?)", list(values.items()))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


@dataclass(frozen=True)
class HeldEvent:
    id: int
    event: PendingEvent


class HeldEvents:
    """``acked_events`` on the sync worker's journal connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def last_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM acked_events").fetchone()[0])

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM acked_events").fetchone()[0])

    def batch(self, after: int, through: int, limit: int) -> list[HeldEvent]:
        rows = self.conn.execute(
            "SELECT id, event_id, payload FROM acked_events WHERE id > ? AND id <= ? "
            "ORDER BY id LIMIT ?",
            (after, through, limit),
        )
        keys = keys_of(self.conn)  # an enrolment stays sealed here: opened to be sent
        return [HeldEvent(r[0], PendingEvent(r[0], r[1], unpack(r[2], keys, r[1]))) for r in rows]

    def prune(self, cutoff: float, chunk: int = 1000) -> int:
        """Drop events acknowledged before ``cutoff`` (unix time), oldest first, never those a
        re-push under way still needs; how many went. Costs one row read when none is due."""
        through = int(get_meta(self.conn, REPUSH_THROUGH) or 0)
        done = int(get_meta(self.conn, REPUSH_DONE) or 0)
        keep_from = done + 1 if through > done else None
        gone = 0
        while True:
            oldest = self.conn.execute(
                "SELECT id, acked_at FROM acked_events ORDER BY id LIMIT 1"
            ).fetchone()
            if oldest is None or oldest[1] >= cutoff:
                return gone
            if keep_from is not None and oldest[0] >= keep_from:
                return gone
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self.conn.execute(
                    "DELETE FROM acked_events WHERE id IN (SELECT id FROM acked_events "
                    "WHERE acked_at < ? AND id < ? ORDER BY id LIMIT ?)",
                    (cutoff, keep_from if keep_from is not None else 2**62, chunk),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                rollback(self.conn)
                raise
            if cur.rowcount <= 0:
                return gone
            gone += cur.rowcount


def last_change(conn: sqlite3.Connection) -> dict[str, Any] | None:
    raw = get_meta(conn, LAST_CHANGE)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
