"""Open the journal: sales, local ledger entries, the outbox, counters and the print queue.

The journal is the one file that must never lose a committed row: WAL with
``synchronous=FULL``, so a commit is on disk before the POS hears "recorded", and one
transaction covers a whole sale (SQLite does not make a transaction across attached files
atomic in WAL mode, hence sales, ledger, outbox and print queue live in this one file).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sales (
    pos_id TEXT PRIMARY KEY,          -- the POS's own sale id: re-finalising returns the answer
    sale_id TEXT NOT NULL UNIQUE,
    member_id TEXT,
    occurred_at TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    answer BLOB NOT NULL              -- zlib JSON (journal.store.pack)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refunds (
    pos_id TEXT PRIMARY KEY,
    refund_id TEXT NOT NULL UNIQUE,
    sale_id TEXT NOT NULL,
    answer BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refund_state (
    sale_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
    entry_id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    sale_id TEXT,
    data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_member ON ledger (member_id);
CREATE INDEX IF NOT EXISTS ledger_sale ON ledger (sale_id);
CREATE TABLE IF NOT EXISTS voucher_uses (
    voucher_id TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    member_id TEXT,
    used_at TEXT NOT NULL,
    PRIMARY KEY (voucher_id, sale_id)
) WITHOUT ROWID;
-- Uses given back by a full refund of their sale: the till accepts the voucher again offline.
-- A table of its own (not a column) so journals made before it need no migration.
CREATE TABLE IF NOT EXISTS voucher_restores (
    voucher_id TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    restored_at TEXT NOT NULL,
    PRIMARY KEY (voucher_id, sale_id)
) WITHOUT ROWID;
-- Raffle numbers given out here; UNIQUE refuses a number twice even if a counter went wrong.
CREATE TABLE IF NOT EXISTS raffle_tickets (
    ticket_id TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    number INTEGER,                   -- NULL: owed, the server numbers it
    member_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    UNIQUE (campaign_id, number)
);
CREATE INDEX IF NOT EXISTS raffle_tickets_sale ON raffle_tickets (sale_id);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,          -- push order
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,            -- the event's wire JSON, serialised once, zlib
    created_at REAL NOT NULL,
    state INTEGER NOT NULL DEFAULT 0, -- 0 pending, 2 rejected by the server (kept, reported)
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
-- No index on state: the pusher reads in seq (rowid) order and rejected rows are rare; one
-- b-tree less is one WAL page less per sale.
"""


def connect_journal(path: str | Path) -> sqlite3.Connection:
    """A connection to the journal at ``path`` (created if missing), schema in place.

    Each thread opens its own connection; ``isolation_level=None`` so transactions are the
    explicit ``BEGIN IMMEDIATE`` … ``COMMIT`` of the callers.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    from agent.printing.queue import ensure_schema

    ensure_schema(conn)
    return conn
