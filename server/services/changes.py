"""Pull: a page of changes since a cursor, and a streamed gzip JSON-lines snapshot.

Both read in one consistent snapshot (REPEATABLE READ on PostgreSQL, a WAL read transaction on
SQLite): a page that read its feeds at different moments could return a later change of one
feed and skip an earlier one of another.
"""

from __future__ import annotations

import heapq
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models.sync import current_seq
from .feeds import FEEDS
from .terminals import TerminalIdentity

SNAPSHOT_FORMAT = 1


class CursorAhead(ValueError):
    """The agent's cursor is beyond anything this server handed out (a restored database?)."""


@dataclass(frozen=True)
class ChangesPage:
    changes: list[dict[str, Any]]
    next_cursor: int
    has_more: bool


def changes_since(session: Session, who: TerminalIdentity, cursor: int, limit: int) -> ChangesPage:
    """Up to ``limit`` changes with ``seq > cursor``, in sequence order.

    :raises CursorAhead: if ``cursor`` is greater than the last change number.
    """
    last = current_seq(session)
    if cursor > last:
        raise CursorAhead(f"cursor {cursor} is ahead of the server's last change {last}")
    per_feed = []
    for i, feed in enumerate(FEEDS):
        stmt = (
            feed.base_select()
            .where(feed.seq_column > cursor)
            .order_by(feed.seq_column)
            .limit(limit + 1)
        )
        per_feed.append([(row.change_seq, i, row) for row in session.execute(stmt)])
    merged = list(heapq.merge(*per_feed, key=lambda t: (t[0], t[1])))
    page = merged[:limit]
    changes = [FEEDS[i].record(row, who) for _, i, row in page]
    next_cursor = page[-1][0] if page else cursor
    return ChangesPage(changes, next_cursor, len(merged) > limit)


def snapshot_lines(session: Session, who: TerminalIdentity, batch: int = 2000) -> Iterator[bytes]:
    """Every visible record as JSON lines: a header with the cursor, the records, a trailer."""
    cursor = current_seq(session)
    yield _line({"type": "snapshot", "format": SNAPSHOT_FORMAT, "cursor": cursor})
    count = 0
    encode = _ENCODER.encode
    for feed in FEEDS:
        stmt = (
            feed.base_select().where(feed.seq_column <= cursor).execution_options(yield_per=batch)
        )
        for partition in session.execute(stmt).partitions():
            chunk = []
            for row in partition:
                record = feed.record(row, who)
                if record["deleted"]:
                    continue  # a fresh cache has nothing to delete
                chunk.append(encode(record))
            if chunk:
                count += len(chunk)
                yield ("\n".join(chunk) + "\n").encode("utf-8")
    yield _line({"type": "end", "cursor": cursor, "count": count})


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _line(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode("utf-8")


def gzip_stream(
    chunks: Iterator[bytes], level: int = 3, flush_at: int = 256 * 1024
) -> Iterator[bytes]:
    """Compress ``chunks`` as one gzip member, yielding compressed pieces as they fill."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    pending = 0
    for chunk in chunks:
        out = compressor.compress(chunk)
        pending += len(chunk)
        if out:
            yield out
        if pending >= flush_at:
            flushed = compressor.flush(zlib.Z_SYNC_FLUSH)
            pending = 0
            if flushed:
                yield flushed
    yield compressor.flush()
