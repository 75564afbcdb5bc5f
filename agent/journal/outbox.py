"""The outbox: events waiting for the server, appended by sales, read and trimmed by sync.

A sale appends its events in its own transaction (:func:`rows` encodes them before it,
:func:`insert` writes them in it); the sync worker reads them in push order and settles them
by ``seq`` on its own connection (:class:`Outbox`). An event
leaves only when the server applied it; one the server refuses for good is parked (state 2)
with the reason, and counted. :class:`QueueGauge` keeps the running agent's count of unsent
events without reading the table.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..storage_errors import rollback
from .answers import pack, unpack
from .keys import SEALED_TYPES, JournalKeyError, JournalKeys
from .rows import OutboxRow

PENDING, REJECTED = 0, 2


OutboxInsert = tuple[str, str, bytes, float]

_INSERT = "INSERT INTO outbox (event_id, type, payload, created_at) VALUES (?, ?, ?, ?)"


def rows(
    events: Sequence[OutboxRow], created: float, keys: JournalKeys | None = None
) -> list[OutboxInsert]:
    """``events`` as :func:`insert` writes them (payload compressed, and sealed with ``keys``
    for the types that carry personal data), before the transaction.

    :raises JournalKeyError: such an event and no keys (a journal opened without them).
    """
    out = []
    for event_id, kind, payload in events:
        blob = pack(payload)
        if kind in SEALED_TYPES:
            if keys is None:
                raise JournalKeyError(
                    f"a {kind} event carries personal data: the journal must be opened with "
                    "the till's keys to record it (connect_journal(path, keys))"
                )
            blob = keys.seal(blob, event_id)
        out.append((event_id, kind, blob, created))
    return out


def keys_of(conn: sqlite3.Connection) -> JournalKeys | None:
    """The keys ``conn`` was opened with (:func:`agent.journal.db.connect_journal`)."""
    return getattr(conn, "keys", None)


def insert(conn: sqlite3.Connection, prepared: Sequence[OutboxInsert]) -> None:
    """Add the :func:`rows` in order, inside the caller's transaction."""
    if len(prepared) == 1:  # the usual sale: one event, no executemany iterator
        conn.execute(_INSERT, prepared[0])
    elif prepared:
        conn.executemany(_INSERT, prepared)


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    event_id: str
    payload: str


class Outbox:
    """The sync worker's view of the outbox, on its own connection.

    :param queue: told how many pending events each :meth:`settle` took off.
    """

    def __init__(
        self, conn: sqlite3.Connection, queue: QueueGauge | None = None, *, keep_acked: bool = True
    ) -> None:
        self.conn = conn
        self.queue = queue
        self.keep_acked = keep_acked  # move applied events to acked_events (journal.held)

    def batch(self, limit: int) -> list[PendingEvent]:
        rows = self.conn.execute(
            "SELECT seq, event_id, payload FROM outbox WHERE state = 0 ORDER BY seq LIMIT ?",
            (limit,),
        )
        keys = keys_of(self.conn)
        return [PendingEvent(r[0], r[1], unpack(r[2], keys, r[1])) for r in rows]

    def settle(
        self,
        batch: Sequence[PendingEvent],
        applied: Iterable[str],
        rejected: Sequence[tuple[str, str]],
        retry: Iterable[str],
        acked_at: float | None = None,
    ) -> None:
        """Drop what the server applied (kept in ``acked_events`` for a re-push to a restored
        server), park what it rejected for good, count retries.

        Event ids are those of ``batch`` (rows are found by their ``seq``); others are ignored.
        """
        seq = {e.event_id: e.seq for e in batch}
        applied = [i for i in applied if i in seq]
        acked_at = time.time() if acked_at is None else acked_at
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if self.keep_acked and applied:
                c.executemany(
                    "INSERT INTO acked_events (event_id, payload, created_at, acked_at) "
                    "SELECT event_id, payload, created_at, ? FROM outbox WHERE seq = ?",
                    [(acked_at, seq[i]) for i in applied],
                )
            gone = c.executemany(
                "DELETE FROM outbox WHERE seq = ?", [(seq[i],) for i in applied]
            ).rowcount
            gone += c.executemany(
                "UPDATE outbox SET state = 2, error = ?, attempts = attempts + 1 "
                "WHERE seq = ? AND state = 0",
                [(why, seq[i]) for i, why in rejected if i in seq],
            ).rowcount
            c.executemany(
                "UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?",
                [(seq[i],) for i in retry if i in seq],
            )
            c.execute("COMMIT")
        except BaseException:
            rollback(c)
            raise
        if self.queue is not None:
            self.queue.remove(max(gone, 0))

    def depth(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM outbox WHERE state = 0").fetchone()[0])

    def rejected(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM outbox WHERE state = 2").fetchone()[0])

    def oldest_created_at(self) -> float | None:
        row = self.conn.execute(
            "SELECT created_at FROM outbox WHERE state = 0 ORDER BY seq LIMIT 1"
        ).fetchone()
        return None if row is None else float(row[0])

    def unacked_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT event_id FROM outbox WHERE state = 0")}


class QueueGauge:
    """How many outbox events are waiting, counted once and then kept by this process's writers.

    Counting them in SQL reads every page of the outbox (about 40 ms at 100,000 unsent events,
    the payloads live in the rows), and the agent reports its queue depth with every sync
    request; the sale side adds what it commits, the sync worker takes off what it settles.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._lock = threading.Lock()
        self._pending = Outbox(conn).depth()

    @property
    def pending(self) -> int:
        return self._pending

    def add(self, count: int) -> None:
        with self._lock:
            self._pending += count

    def remove(self, count: int) -> None:
        with self._lock:
            self._pending = max(0, self._pending - count)
