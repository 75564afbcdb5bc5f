"""A new copy of the cache's server data, built beside the live one and swapped in at once.

A re-snapshot (a new server epoch, a server behind our cursor, a damaged cache, a cache that
predates fields this agent syncs) used to empty the tables first and fill them as the records
arrived: for that while (the whole download; for good if it then failed) the till answered
"unknown card" for members it had known. Now the records go into staging tables
(``next_members`` ...) in the same file, in as many transactions as it takes, and one
transaction drops each live table and renames its staging table in its place, indexes made
again: readers (WAL) see the old data until that commit and the new data after it, never an
empty table or a mix. The rows are written by the pull's own writer (``apply_changes``,
``staged=True``), so each carries its CRC-32 (``cache.integrity``). A rebuild cut short
leaves the staging tables and how far they got (``staged_cursor`` in ``meta``): a change
feed resumes from there, a snapshot starts over. The file needs room for both copies while
a rebuild runs.
"""

from __future__ import annotations

import re
import sqlite3
import time
from functools import cache

from ..storage_errors import rollback
from .db import SCHEMA
from .writer import STAGED_CURSOR, STAGED_PREFIX, TABLES

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS \w+ ON (\w+)")


@cache
def _ddl() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each data table's ``CREATE TABLE`` (for its staging twin) and its indexes, from SCHEMA."""
    tables: dict[str, str] = {}
    indexes: dict[str, list[str]] = {}
    for statement in (s.strip() for s in SCHEMA.split(";")):
        if (m := _TABLE.match(statement)) and m.group(1) in TABLES:
            body = statement[m.end() :]
            tables[m.group(1)] = f"CREATE TABLE {STAGED_PREFIX}{m.group(1)}{body}"
        elif m := _INDEX.match(statement):
            indexes.setdefault(m.group(1), []).append(statement)
    return {t: (tables[t], tuple(indexes.get(t, ()))) for t in TABLES}


def _drop_staged(conn: sqlite3.Connection) -> None:
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {STAGED_PREFIX}{table}")
    conn.execute("DELETE FROM meta WHERE key = ?", (STAGED_CURSOR,))


def begin(conn: sqlite3.Connection) -> None:
    """Empty staging tables (any left by a rebuild cut short are dropped), cursor 0."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        _drop_staged(conn)
        for create, _ in _ddl().values():
            conn.execute(create)
        conn.execute("INSERT INTO meta VALUES (?, '0')", (STAGED_CURSOR,))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def discard(conn: sqlite3.Connection) -> None:
    """Drop a rebuild under way (its data is of an older server epoch)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        _drop_staged(conn)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def staged_cursor(conn: sqlite3.Connection) -> int | None:
    """How far a rebuild under way got (its change number), or ``None`` if there is none."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (STAGED_CURSOR,)).fetchone()
    if row is None or any(staged_count(conn, t) is None for t in TABLES):
        return None
    return int(row[0])


def staged_count(conn: sqlite3.Connection, table: str) -> int | None:
    """Rows of ``table`` a rebuild has staged so far; ``None``: no rebuild under way."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
        (STAGED_PREFIX + table,),
    ).fetchone()
    if exists is None:
        return None
    return int(conn.execute(f"SELECT count(*) FROM {STAGED_PREFIX}{table}").fetchone()[0])


def swap_in(conn: sqlite3.Connection, cursor: int) -> None:
    """In one transaction: every staging table replaces its live table, and the cache's
    cursor becomes the rebuild's (``snapshot_done``). Other ``meta`` (the card key's id, the
    clock measure) stays.

    :raises RuntimeError: no complete set of staging tables (nothing is changed).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        if any(staged_count(conn, t) is None for t in TABLES):
            raise RuntimeError("no rebuild under way to swap in")
        for table, (_, indexes) in _ddl().items():
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"ALTER TABLE {STAGED_PREFIX}{table} RENAME TO {table}")
            for index in indexes:
                conn.execute(index)
        now = str(time.time())
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("cursor", str(cursor)),
                ("last_pull_at", now),
                ("snapshot_done", "1"),
                ("campaigns_changed_at", now),
            ],
        )
        conn.execute("DELETE FROM meta WHERE key = ?", (STAGED_CURSOR,))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
