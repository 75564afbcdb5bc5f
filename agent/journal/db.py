"""Open the journal: sales, local ledger entries, the outbox, counters and the print queue.

The journal is the one file that must never lose a committed row: WAL with
``synchronous=FULL``, so a commit is on disk before the POS hears "recorded", and one
transaction covers a whole sale (SQLite does not make a transaction across attached files
atomic in WAL mode, hence sales, ledger, outbox and print queue live in this one file).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..storage_errors import rollback
from .keys import JournalKeys
from .protect import after_conversion, convert

# The journal's layout (PRAGMA user_version, see VERSION). Every b-tree a sale touches is one
# more WAL page to write and fsync before the POS hears "recorded", so a sale touches as few
# as it can: a sale row and its pos_id index, the member's ledger rows (clustered by member, no
# other index), one outbox row. The id counters ride in the sale (or refund) row itself.
SCHEMA = """
-- Counters a write without a sale or refund row advanced, and the positions used of each
-- raffle block ("raffle_block:<id>"); the sale and entry/event/refund counters otherwise
-- live in the newest sales / refunds row (next_ids), see journal.store.Counters.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- seq is the sale's own number (sale_id = S:<store>:<terminal>:<seq>): rows append at the end
-- of the table and a sale id finds its row without an index of its own. Rows are never
-- deleted: the newest one holds the counters.
CREATE TABLE IF NOT EXISTS sales (
    seq INTEGER PRIMARY KEY,
    pos_id TEXT NOT NULL UNIQUE,      -- the POS's own sale id: re-finalising returns the answer
    sale_id TEXT NOT NULL,
    member_id TEXT,
    occurred_at TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    answer BLOB NOT NULL,             -- LZ4 JSON (journal.answers.encode)
    next_ids TEXT NOT NULL            -- JSON: the id counters after this write
);
CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY,          -- refund_id = R:<store>:<terminal>:<seq>
    pos_id TEXT NOT NULL UNIQUE,
    refund_id TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    answer BLOB NOT NULL,
    next_ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refund_state (
    sale_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
) WITHOUT ROWID;
-- Clustered by member: the balance reads one member's rows, a refund one member's rows of
-- one sale; no secondary index to update at each sale.
CREATE TABLE IF NOT EXISTS ledger (
    member_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    sale_id TEXT,
    data TEXT NOT NULL,               -- LZ4 JSON (journal.answers.encode); older rows: text
    PRIMARY KEY (member_id, entry_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS voucher_uses (
    voucher_id TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    member_id TEXT,
    used_at TEXT NOT NULL,
    PRIMARY KEY (voucher_id, sale_id)
) WITHOUT ROWID;
-- Uses given back by a full refund of their sale: the till accepts the voucher again offline.
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
-- The pusher reads in seq (rowid) order and settles by seq; event ids are unique by
-- construction (the terminal's event counter) and the server deduplicates them anyway, so
-- no index on event_id or state: one b-tree per event.
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,          -- push order
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,            -- the event's wire JSON, serialised once, LZ4
    created_at REAL NOT NULL,
    state INTEGER NOT NULL DEFAULT 0, -- 0 pending, 2 rejected by the server (kept, reported)
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
-- Rejected rows only (a partial index): a new pending row adds nothing to it, and the status
-- counts the rejected without reading the whole outbox.
CREATE INDEX IF NOT EXISTS outbox_rejected ON outbox (seq) WHERE state = 2;
{local_members}
-- Events the server acknowledged, moved here from the outbox by the sync worker (never by a
-- sale) and kept storage.keep_acknowledged_days: a restored server gets them pushed again.
-- rowid is the order they were acknowledged in, which is the order they were pushed.
CREATE TABLE IF NOT EXISTS acked_events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    payload BLOB NOT NULL,            -- as in outbox
    created_at REAL NOT NULL,
    acked_at REAL NOT NULL
);
-- The sync worker's own state that must outlive the cache: the server epoch last seen and
-- a re-push under way (journal.held).
CREATE TABLE IF NOT EXISTS sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

# Shoppers who joined at this till (journal.local_members): identifiable here at once by card,
# CPF or id until the cache holds the server's copy. Never a card number nor a CPF: their
# keyed hashes (the clear values travel in the enrolment's sealed outbox payload only,
# journal.keys). outbox_seq + event_id find the enrolment's outbox row: gone (applied or
# still pending) or parked as rejected (seq alone could be a reused rowid). A sale never
# touches it.
LOCAL_MEMBERS = """
CREATE TABLE IF NOT EXISTS local_members (
    member_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cpf_hash TEXT,                    -- HMAC-SHA256 with the chain secret, or NULL (not
                                      -- unique: a CPF freed by an account deletion rejoins)
    card_hash BLOB UNIQUE,            -- the pre-printed card handed over, as the cache keys
                                      -- it: HMAC-SHA256(card key, number); or NULL
    created_at TEXT NOT NULL,
    pos_id TEXT NOT NULL,             -- the POS sale id it was enrolled on (retries)
    answer TEXT NOT NULL,             -- JSON: the enrolment part of the first answer
    event_id TEXT NOT NULL,
    outbox_seq INTEGER
);
CREATE INDEX IF NOT EXISTS local_members_pos ON local_members (pos_id);
CREATE INDEX IF NOT EXISTS local_members_cpf ON local_members (cpf_hash);
"""

SCHEMA = SCHEMA.format(local_members=LOCAL_MEMBERS)

# 2: local_members keyed by the card's keyed hash (was the clear number), enrolment payloads
# sealed (journal.protect converts a journal of layout 1, with the till's keys), and rows
# written with the LZ4 dictionary (journal.answers, tag 0x05), which an agent of layout 1
# cannot read: the number makes it refuse the file instead of failing on a retry or a refund.
# Rows of layout 1 (plain LZ4, zlib or text) are still read.
VERSION = 2

# From the first layout (user_version 0): sales and refunds keyed by the POS id, the ledger
# with two secondary indexes, the outbox with a unique event id. One transaction: a till
# killed mid-way reopens the old layout and migrates again.
MIGRATE_0_TO_1 = """
ALTER TABLE sales RENAME TO sales_v0;
ALTER TABLE refunds RENAME TO refunds_v0;
ALTER TABLE ledger RENAME TO ledger_v0;
ALTER TABLE outbox RENAME TO outbox_v0;
DROP INDEX IF EXISTS ledger_member;
DROP INDEX IF EXISTS ledger_sale;
{schema}
INSERT INTO sales (seq, pos_id, sale_id, member_id, occurred_at, total_cents, answer, next_ids)
    SELECT CAST(substr(sale_id, -12) AS INTEGER), pos_id, sale_id, member_id, occurred_at,
           total_cents, answer, '{{}}' FROM sales_v0;
INSERT INTO refunds (seq, pos_id, refund_id, sale_id, answer, next_ids)
    SELECT CAST(substr(refund_id, -12) AS INTEGER), pos_id, refund_id, sale_id, answer, '{{}}'
    FROM refunds_v0;
INSERT INTO ledger (member_id, entry_id, sale_id, data)
    SELECT member_id, entry_id, sale_id, data FROM ledger_v0;
INSERT INTO outbox SELECT * FROM outbox_v0;
DROP TABLE sales_v0;
DROP TABLE refunds_v0;
DROP TABLE ledger_v0;
DROP TABLE outbox_v0;
"""


class JournalConnection(sqlite3.Connection):
    """A journal connection with the keys it was opened with (``None``: it cannot record an
    enrolment, open its sealed payload nor look a local member up by card)."""

    keys: JournalKeys | None = None


def connect_journal(path: str | Path, keys: JournalKeys | None = None) -> JournalConnection:
    """A connection to the journal at ``path`` (created if missing), schema in place.

    Each thread opens its own connection; ``isolation_level=None`` so transactions are the
    explicit ``BEGIN IMMEDIATE`` … ``COMMIT`` of the callers.

    :param keys: the till's journal keys (:func:`agent.service.journal_keys`). With them, a
        journal of an older layout or under an earlier key is converted at open
        (:mod:`agent.journal.protect`).
    :raises JournalKeyError: the journal holds clear card numbers or CPFs to convert and no
        ``keys`` were given, or it is sealed under a key the till does not have.

    .. versionchanged:: 2 ``keys``; layout 2 (card hashes, sealed enrolments).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=30, factory=JournalConnection
    )
    assert isinstance(conn, JournalConnection)
    conn.keys = keys
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    # A converted row (journal.protect) leaves zeros behind, not its clear value in a free page
    # (the build default on Debian already; explicit for the tills' own builds).
    conn.execute("PRAGMA secure_delete=ON")
    try:
        _migrate(conn, keys)
        from agent.printing.queue import ensure_schema

        ensure_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, keys: JournalKeys | None) -> None:
    """Bring the file to :data:`VERSION` in one transaction (a new file: create it), and
    its protected rows under ``keys`` (:func:`agent.journal.protect.convert`)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise RuntimeError(
                f"journal layout {version} is newer than this agent knows ({VERSION}): "
                "upgrade the agent, never downgrade it over a journal"
            )
        old = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sales'"
        ).fetchone()
        script = MIGRATE_0_TO_1.format(schema=SCHEMA) if version == 0 and old else SCHEMA
        for statement in statements(script):
            conn.execute(statement)
        changed = convert(conn, keys, from_version=version if old else VERSION)
        if version != VERSION:  # writing it anyway would cost a commit to disk at every open
            conn.execute(f"PRAGMA user_version = {VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    if changed:
        after_conversion(conn)


def statements(script: str) -> list[str]:
    """The statements of ``script``, one by one (``executescript`` would commit our BEGIN).

    Comments go first (they may hold semicolons); the scripts hold no ``--`` in literals.
    """
    text = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in text.split(";") if s.strip()]
