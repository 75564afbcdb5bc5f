"""Bring a journal's personal data to its protected form at open: no clear card, no clear CPF.

Run by :func:`agent.journal.db.connect_journal` inside its migration transaction (so a till
killed half-way reopens the old form and converts again):

1. a ``local_members`` of layout 1 (the clear ``card_number``) becomes layout 2: keyed by the
   card's keyed hash, the same hash the cache keys cards by (:mod:`agent.journal.keys`);
2. the enrolment payloads an older agent stored in clear, in the outbox and in
   ``acked_events`` (kept for a re-push after a server restore), are sealed;
3. a journal written under an earlier card key (a till given the chain's CPF hash secret after
   it ran with its own random key) is re-sealed and re-hashed under the current key. A payload
   sealed under a key the till no longer has cannot be sent: a pending one is parked as
   rejected (``journal_key_missing``, counted among the rejected in ``agent status``), a held
   one dropped; the till keeps selling.

The journal runs with ``secure_delete=ON``, and after a conversion the WAL is checkpointed
and truncated: the clear values' old pages are overwritten with zeros, not left in a free
page of the file or in the ``-wal``.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import orjson

from .answers import unpack
from .keys import SEALED, SEALED_TYPES, JournalKeyError, JournalKeys, is_sealed, key_id_of

log = logging.getLogger("tillclub.agent.journal")

KEY_ID = "journal_key_id"  # sync_meta: the key the journal's rows are under


def convert(conn: sqlite3.Connection, keys: JournalKeys | None, from_version: int) -> bool:
    """Convert inside the caller's transaction; whether anything in clear was rewritten.

    :raises JournalKeyError: something to convert and no ``keys``.
    """
    changed = _local_members_to_hashes(conn, keys)
    if from_version < 2:
        changed = _seal_clear_payloads(conn, keys) or changed
    if keys is not None:
        changed = _check_key(conn, keys) or changed
    return changed


def after_conversion(conn: sqlite3.Connection) -> None:
    """Copy the converted pages into the file and empty the WAL (its old frames held the
    clear values until now)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _need(keys: JournalKeys | None, what: str) -> JournalKeys:
    if keys is None:
        raise JournalKeyError(
            f"this journal holds {what} in clear, to be protected with the till's keys: "
            "open it with them (run the agent, or pass keys to connect_journal)"
        )
    return keys


def _local_members_to_hashes(conn: sqlite3.Connection, keys: JournalKeys | None) -> bool:
    if "card_number" not in _columns(conn, "local_members"):
        return False
    from .db import LOCAL_MEMBERS, statements

    rows = conn.execute(
        "SELECT member_id, name, cpf_hash, card_number, created_at, pos_id, answer, event_id, "
        "outbox_seq FROM local_members ORDER BY rowid"
    ).fetchall()
    cards = any(r[3] for r in rows)
    hasher = _need(keys, "card numbers").card_hash if cards else None
    conn.execute("ALTER TABLE local_members RENAME TO local_members_v1")
    conn.execute("DROP INDEX IF EXISTS local_members_pos")  # they followed the renamed table
    conn.execute("DROP INDEX IF EXISTS local_members_cpf")
    for statement in statements(LOCAL_MEMBERS):
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO local_members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*r[:3], hasher(r[3]) if r[3] and hasher is not None else None, *r[4:]) for r in rows],
    )
    conn.execute("DROP TABLE local_members_v1")
    return cards


def _event_type(blob: bytes) -> str | None:
    try:
        kind = orjson.loads(unpack(blob)).get("type")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def _seal_clear_payloads(conn: sqlite3.Connection, keys: JournalKeys | None) -> bool:
    kinds = sorted(SEALED_TYPES)
    marks = ",".join("?" * len(kinds))
    outbox = [
        (seq, event_id, blob)
        for seq, event_id, blob in conn.execute(
            f"SELECT seq, event_id, payload FROM outbox WHERE type IN ({marks})", kinds
        )
        if not is_sealed(blob)
    ]
    held = [
        (row_id, event_id, blob)
        for row_id, event_id, blob in conn.execute("SELECT id, event_id, payload FROM acked_events")
        if not is_sealed(blob) and _event_type(blob) in SEALED_TYPES
    ]
    if not outbox and not held:
        return False
    k = _need(keys, "enrolments (CPF, card number)")
    conn.executemany(
        "UPDATE outbox SET payload = ? WHERE seq = ?",
        [(k.seal(blob, event_id), seq) for seq, event_id, blob in outbox],
    )
    conn.executemany(
        "UPDATE acked_events SET payload = ? WHERE id = ?",
        [(k.seal(blob, event_id), row_id) for row_id, event_id, blob in held],
    )
    log.info("journal: %d pending and %d held enrolments sealed", len(outbox), len(held))
    return True


def _check_key(conn: sqlite3.Connection, keys: JournalKeys) -> bool:
    row = conn.execute("SELECT value FROM sync_meta WHERE key = ?", (KEY_ID,)).fetchone()
    if row is not None and row[0] == keys.key_id:
        return False  # the usual open: one row read
    cards: dict[str, str] = {}  # event id -> card number, to re-hash local_members
    changed = False
    for table, key in (("outbox", "seq"), ("acked_events", "id")):
        for row_id, event_id, blob in conn.execute(
            f"SELECT {key}, event_id, payload FROM {table} WHERE substr(payload, 1, 1) = ?",
            (SEALED,),
        ).fetchall():
            try:
                packed = keys.open(blob, event_id)
            except JournalKeyError as exc:
                _unreadable(conn, table, key, row_id, event_id, str(exc))
                changed = True
                continue
            card = _card_of(packed)
            if card:
                cards[event_id] = card
            if key_id_of(blob) != keys.key_id:
                conn.execute(
                    f"UPDATE {table} SET payload = ? WHERE {key} = ?",
                    (keys.seal(packed, event_id), row_id),
                )
                changed = True
    if row is not None:  # hashed under the earlier key: hash again from the sealed payload
        members = conn.execute(
            "SELECT member_id, event_id FROM local_members WHERE card_hash IS NOT NULL"
        ).fetchall()
        conn.executemany(
            "UPDATE local_members SET card_hash = ? WHERE member_id = ?",
            [
                (keys.card_hash(cards[e]) if e in cards else None, member_id)
                for member_id, e in members
            ],
        )
    conn.execute("INSERT OR REPLACE INTO sync_meta VALUES (?, ?)", (KEY_ID, keys.key_id))
    return changed


def _card_of(packed: bytes) -> str | None:
    data: Any = orjson.loads(unpack(packed))
    card = data.get("card_number") if isinstance(data, dict) else None
    return card if isinstance(card, str) else None


def _unreadable(
    conn: sqlite3.Connection, table: str, key: str, row_id: int, event_id: str, why: str
) -> None:
    log.warning("journal: %s", why)
    if table == "outbox":  # pending: parked as rejected (already parked: the reason is this)
        conn.execute(
            "UPDATE outbox SET state = 2, error = ? WHERE seq = ?",
            (f"journal_key_missing: {why}"[:500], row_id),
        )
    else:  # acknowledged already; without its key it cannot be pushed again
        conn.execute("DELETE FROM acked_events WHERE id = ?", (row_id,))
