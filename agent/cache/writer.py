"""Apply pulled changes to the cache: upserts and deletes by record type, cursor included.

A page of ``GET /api/v1/changes`` (or a slice of a snapshot) is written in one transaction
together with the new cursor, so after a crash the agent resumes from the last page it kept.
Records are stored as the server sent them (JSON), with the columns lookups need beside.
Card numbers are the exception: a card is stored under its keyed hash (``card_hash``), its
``replaced_by`` too, so the cache never holds a number in clear.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..storage_errors import rollback
from .card_hash import CardHasher
from .integrity import row_crc

_TABLES = {
    "member": ("members", "id"),
    "card": ("cards", "hash"),
    "campaign": ("campaigns", "id"),
    "store": ("stores", "id"),
    "offer": ("offers", "id"),
    "voucher": ("vouchers", "voucher_id"),
    "raffle": ("raffles", "id"),
    "raffle_block": ("raffle_blocks", "id"),
    "ledger_entry": ("ledger", "entry_id"),
    "product": ("products", "sku"),
}
# The columns each row is written with, in the order of ``_row``; ``crc`` follows them
# (cache.integrity). Named, so a column an upgrade added at the end cannot shift values.
COLUMNS = {
    "members": ("id", "cpf_hash", "name", "active", "segments", "tier"),
    "cards": ("hash", "member_id", "status", "replaced_by"),
    "offers": ("id", "member_id", "data"),
    "vouchers": ("voucher_id", "code", "data"),
    "ledger": ("entry_id", "member_id", "data"),
    "products": ("sku", "active", "data"),
}
PLAIN = ("id", "data")  # campaigns, stores, raffles, raffle_blocks
TABLES = tuple(table for table, _ in _TABLES.values())  # the server data tables
# A rebuild's staging tables (``cache.staging``) and how far it got, beside the live ones.
STAGED_PREFIX = "next_"
STAGED_CURSOR = "staged_cursor"


def _key(kind: str, key: str, card_hash: CardHasher | None) -> Any:
    if kind != "card":
        return key
    if card_hash is None:
        raise ValueError("the cache connection has no card key: open it with connect_cache")
    return card_hash(key)


def _row(
    kind: str, key: Any, data: Mapping[str, Any], card_hash: CardHasher | None = None
) -> tuple[Any, ...]:
    if kind == "member":
        segments = ",".join(str(x) for x in data.get("segments") or ())
        active = 1 if data.get("active") else 0
        tier = data.get("tier")
        tier = None if tier in (None, "") else str(tier)
        return (key, data.get("cpf_hash"), data.get("name") or "", active, segments, tier)
    if kind == "card":
        replaced_by = data.get("replaced_by")
        if replaced_by and card_hash is not None:
            replaced_by = card_hash(str(replaced_by))
        return (key, data["member_id"], data.get("status") or "active", replaced_by or None)
    if kind == "offer":
        return (key, data["member_id"], json.dumps(data))
    if kind == "voucher":
        code = "".join(str(data["code"]).split()).replace("-", "").upper()
        return (key, code, json.dumps(data))
    if kind == "ledger_entry":
        return (key, data["member_id"], json.dumps(data))
    if kind == "product":
        return (key, 1 if data.get("active", True) else 0, json.dumps(data))
    return (key, json.dumps(data))


def apply_changes(
    conn: sqlite3.Connection,
    changes: Iterable[Mapping[str, Any]],
    cursor: int,
    *,
    snapshot_done: bool | None = None,
    staged: bool = False,
) -> set[str]:
    """Write ``changes`` and ``cursor`` in one transaction; returns the record types touched.

    Unknown record types are skipped (a newer server), so an old agent keeps working.

    :param staged: write into a rebuild's staging tables and its cursor (``cache.staging``),
        leaving the live data and cursor as they are until the rebuild is swapped in.
    """
    prefix = STAGED_PREFIX if staged else ""
    upserts: dict[str, list[tuple[Any, ...]]] = {}
    deletes: dict[str, list[tuple[Any]]] = {}
    touched: set[str] = set()
    card_hash: CardHasher | None = getattr(conn, "card_hash", None)
    for change in changes:
        kind = change.get("type")
        if kind not in _TABLES:
            continue
        touched.add(kind)
        key = _key(kind, str(change["id"]), card_hash)
        if change.get("deleted") or change.get("data") is None:
            deletes.setdefault(kind, []).append((key,))
        else:
            upserts.setdefault(kind, []).append(_row(kind, key, change["data"], card_hash))
    conn.execute("BEGIN IMMEDIATE")
    try:
        for kind, rows in deletes.items():
            table, key_col = _TABLES[kind]
            conn.executemany(f"DELETE FROM {prefix}{table} WHERE {key_col} = ?", rows)
        for kind, rows in upserts.items():
            table, _ = _TABLES[kind]
            columns = ", ".join((*COLUMNS.get(table, PLAIN), "crc"))
            marks = ", ".join("?" * (len(rows[0]) + 1))
            conn.executemany(
                f"INSERT OR REPLACE INTO {prefix}{table} ({columns}) VALUES ({marks})",
                [(*row, row_crc(row)) for row in rows],
            )
        if staged:  # the live cursor and its notes change when the rebuild is swapped in
            meta = [(STAGED_CURSOR, str(cursor))]
        else:
            meta = [("cursor", str(cursor)), ("last_pull_at", str(time.time()))]
            if snapshot_done is not None:
                meta.append(("snapshot_done", "1" if snapshot_done else "0"))
            if "campaign" in touched:
                meta.append(("campaigns_changed_at", str(time.time())))
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return touched


def read_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def cursor_of(conn: sqlite3.Connection) -> int:
    value = read_meta(conn, "cursor")
    return int(value) if value else 0


def reset(conn: sqlite3.Connection) -> None:
    """Empty the cache's data and cursor at once (tests and tools; the sync worker rebuilds
    beside the live data instead, ``cache.staging``, so a till never finds it empty).

    The card key's id stays: a snapshot's cards are hashed with the same key.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, _ in _TABLES.values():
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM meta WHERE key != 'card_key_id'")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
