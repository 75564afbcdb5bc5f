"""Open the cache file (server data only), check it, and rebuild it when it is damaged.

The cache can always be refilled from the server, so a file that fails ``PRAGMA quick_check``
(or is not a database at all) is moved aside as ``<name>.corrupt-<unix time>`` and a fresh,
empty one is made with cursor 0: the next pull fills it again. So is one whose campaign,
store or raffle rows fail their checksum (``cache.integrity``): those are read whole at
start-up, and a flipped bit in them passes ``quick_check``. The other tables are checked at
every read and once by the sync worker. The journal is another file and is never touched here.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

from ..storage_errors import rollback
from .card_hash import CardHasher
from .writer import STAGED_CURSOR

log = logging.getLogger("tillclub.agent.cache")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    cpf_hash TEXT,
    name TEXT NOT NULL,
    active INTEGER NOT NULL,
    segments TEXT NOT NULL DEFAULT '',
    tier TEXT,
    crc INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_cpf ON members (cpf_hash) WHERE cpf_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS cards (
    hash BLOB PRIMARY KEY,            -- HMAC-SHA256(card key, number): never the number (card_hash)
    member_id TEXT NOT NULL,
    status TEXT NOT NULL,
    replaced_by TEXT,
    crc INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, data TEXT NOT NULL, crc INTEGER)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stores (id TEXT PRIMARY KEY, data TEXT NOT NULL, crc INTEGER)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    data TEXT NOT NULL,
    crc INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS offers_member ON offers (member_id);
CREATE TABLE IF NOT EXISTS vouchers (
    voucher_id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    data TEXT NOT NULL,
    crc INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vouchers_code ON vouchers (code);
CREATE TABLE IF NOT EXISTS raffles (id TEXT PRIMARY KEY, data TEXT NOT NULL, crc INTEGER)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS raffle_blocks (id TEXT PRIMARY KEY, data TEXT NOT NULL, crc INTEGER)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
    entry_id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    data TEXT NOT NULL,
    crc INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_member ON ledger (member_id);
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    data TEXT NOT NULL,
    crc INTEGER
) WITHOUT ROWID;
"""


# Member columns later agents added to older caches, oldest first: (name, type and default).
MEMBER_COLUMNS = (("segments", "TEXT NOT NULL DEFAULT ''"), ("tier", "TEXT"))
# Every data table's row checksum (cache.integrity), added to caches made before it.
CHECKED_TABLES = (
    "members", "cards", "campaigns", "stores", "offers", "vouchers", "raffles",
    "raffle_blocks", "ledger", "products",
)  # fmt: skip
# Read whole at start-up (rules, store zone, raffles): checked row by row before the agent
# uses the file, so a damaged one is set aside before anything reads it.
SMALL_TABLES = ("campaigns", "stores", "raffles", "raffle_blocks")


class CacheCorrupt(Exception):
    """The cache file failed its check (the message says how)."""


class CacheConnection(sqlite3.Connection):
    """A cache connection with the card key it was opened with (writer and lookups hash
    card numbers with it; a reader opened without one cannot look cards up)."""

    card_hash: CardHasher | None = None


def _connect(path: Path, card_hash: CardHasher | None) -> CacheConnection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=30, factory=CacheConnection
    )
    assert isinstance(conn, CacheConnection)
    conn.card_hash = card_hash
    # A deleted or replaced row (a card, a member's record) is overwritten, not left readable
    # in a free page.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def _open(path: Path, card_hash: CardHasher) -> CacheConnection:
    conn = _connect(path, card_hash)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # Server data: a lost last page after power loss is pulled again, so NORMAL is enough.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        result = [r[0] for r in conn.execute("PRAGMA quick_check")]
        if result != ["ok"]:
            raise CacheCorrupt("; ".join(str(r) for r in result[:3]))
        had_products = _has_table(conn, "products")
        had_stores = _has_table(conn, "stores")
        _cards_in_clear_to_hashes(conn, card_hash)
        conn.executescript(SCHEMA)
        # Columns added after the first release, in table order (upserts are positional).
        # A cache that lacked one skipped that field while its cursor moved on: pull again.
        added = False
        for column, ddl in MEMBER_COLUMNS:
            if not _has_column(conn, "members", column):
                conn.execute(f"ALTER TABLE members ADD COLUMN {column} {ddl}")
                added = True
        for table in CHECKED_TABLES:
            if not _has_column(conn, table, "crc"):
                conn.execute(f"ALTER TABLE {table} ADD COLUMN crc INTEGER")
                added = True
        for table in SMALL_TABLES:
            _verify_table(conn, table)
        _check_card_key(conn, card_hash)
        if not had_products or not had_stores or added:
            _pull_catalogue_again(conn)
    except (sqlite3.DatabaseError, CacheCorrupt):
        conn.close()
        raise
    return conn


def _cards_in_clear_to_hashes(conn: sqlite3.Connection, card_hash: CardHasher) -> None:
    """Rehash the ``cards`` of a cache an agent wrote in clear (``number`` column) in place,
    then vacuum and truncate the WAL so no page still holds a number."""
    if not _has_table(conn, "cards") or not _has_column(conn, "cards", "number"):
        return
    from .integrity import row_crc

    log.warning("cache holds card numbers in clear; rehashing them")
    conn.execute("BEGIN IMMEDIATE")
    try:
        rows = conn.execute("SELECT number, member_id, status, replaced_by FROM cards").fetchall()
        conn.execute("DROP TABLE cards")
        # executescript would commit: the one statement that makes the hashed table.
        cards = SCHEMA.split("CREATE TABLE IF NOT EXISTS cards")[1].split(";")[0]
        conn.execute("CREATE TABLE IF NOT EXISTS cards" + cards)
        hashed = []
        for number, member_id, status, replaced_by in rows:
            row = (card_hash(str(number)), member_id, status, _hash_or_none(card_hash, replaced_by))
            hashed.append((*row, row_crc(row)))
        conn.executemany("INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?)", hashed)
        _set_key_id(conn, card_hash)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    scrub(conn)


def _hash_or_none(card_hash: CardHasher, number: object) -> bytes | None:
    return None if number in (None, "") else card_hash(str(number))


def _set_key_id(conn: sqlite3.Connection, card_hash: CardHasher) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('card_key_id', ?)", (card_hash.key_id,))


def _check_card_key(conn: sqlite3.Connection, card_hash: CardHasher) -> None:
    # Hashes made with another key (the till was registered again) cannot be rehashed: drop
    # them and pull everything again (the rest stays, so the till keeps selling meanwhile).
    row = conn.execute("SELECT value FROM meta WHERE key = 'card_key_id'").fetchone()
    if row is not None and row[0] == card_hash.key_id:
        return
    if row is not None or conn.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is not None:
        log.warning("cache cards were hashed with another key; pulling them again")
        conn.execute("DELETE FROM cards")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', '0')")
        # a rebuild under way staged cards under the old key: it starts over
        conn.execute("DELETE FROM meta WHERE key = ?", (STAGED_CURSOR,))
    _set_key_id(conn, card_hash)


def scrub(conn: sqlite3.Connection) -> None:
    """Leave no deleted content readable: rewrite the file, then empty the WAL."""
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _verify_table(conn: sqlite3.Connection, table: str) -> None:
    """Every row of ``table`` against its checksum, its JSON parsed.

    :raises CacheCorrupt: the first row that fails.
    """
    from .integrity import CacheDamaged, verify

    try:
        for row in conn.execute(f"SELECT id, data, crc FROM {table}"):
            verify(row, table)
            json.loads(row[1])
    except (CacheDamaged, ValueError, sqlite3.DatabaseError) as exc:
        raise CacheCorrupt(f"a {table} row is damaged ({type(exc).__name__})") from None


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def _pull_catalogue_again(conn: sqlite3.Connection) -> None:
    # A cache made by an agent that did not know products or stores (or member segments or tiers)
    # skipped them while its cursor moved past them. Start the cursor over, keeping every row
    # so the till still sells offline: the next pull takes a snapshot, which upserts everything.
    row = conn.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
    if row is not None and row[0] not in ("", "0"):
        log.warning("cache predates fields this agent syncs; pulling everything again")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', '0')")


def connect_cache(path: str | Path, card_hash: CardHasher) -> tuple[CacheConnection, str | None]:
    """The cache at ``path``, checked; rebuilt empty if damaged. Cards are hashed with
    ``card_hash``; a cache with cards in clear is rehashed, one hashed with another key
    loses its cards and pulls again.

    :returns: the connection and, if the file was rebuilt, why (for the status and the log).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path, card_hash), None
    except (sqlite3.DatabaseError, CacheCorrupt) as exc:
        reason = f"cache file failed its check ({exc}); rebuilding it from the server"
        log.error(reason)
        stamp = int(time.time())
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.rename(f"{path}.corrupt-{stamp}{suffix}")
        return _open(path, card_hash), reason


def connect_reader(path: str | Path, card_hash: CardHasher | None = None) -> CacheConnection:
    """Another connection to an already checked cache (one per thread)."""
    conn = _connect(Path(path), card_hash)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn
