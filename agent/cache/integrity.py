"""Every cache row carries a checksum of its values, checked at every read.

SQLite's ``quick_check`` and ``integrity_check`` look at the file's structure, not at what a
row says: a flipped bit inside a campaign's JSON or a member's name passes both. So each row
is written with ``crc`` = CRC-32 of its other columns (:func:`row_crc`) and every read checks
it (:func:`verify`); a mismatch, JSON that no longer parses or a row SQLite cannot decode is
:class:`CacheDamaged`. The agent then marks the cache damaged (:class:`CacheHealth`), sells
without loyalty (anonymous sales, no points: the POS hears ``loyalty_unavailable``), and the
sync worker sets a copy aside and rebuilds the cache from the server.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Sequence
from typing import Any

from loyalty.errors import LoyaltyError

log = logging.getLogger("tillclub.agent.cache")


class CacheDamaged(LoyaltyError):
    """A cache row failed its check: the till sells without loyalty until it is rebuilt."""

    code = "loyalty_unavailable"

    def __init__(self, where: str) -> None:
        super().__init__(
            "loyalty is unavailable at this till for now (its local data is being rebuilt "
            "from the server): carry on with the sale without the club",
            "fidelidade indisponível neste caixa no momento (dados locais sendo refeitos a "
            "partir do servidor): siga a venda sem o clube",
        )
        self.where = where


def row_crc(values: Sequence[Any]) -> int:
    """CRC-32 of a row's values as SQLite gives them back (text, integers, NULL): of the
    ``repr`` of their tuple, which is exact for those types and costs one C call."""
    return zlib.crc32(repr(tuple(values)).encode("utf-8", "surrogatepass"))


def verify(row: Sequence[Any], where: str) -> Sequence[Any]:
    """``row`` without its trailing ``crc``, if that matches the values.

    A ``NULL`` crc is a row an agent older than checksums wrote: read as is (the cursor was
    started over when the column was added, so the next snapshot rewrites it).

    :raises CacheDamaged: the values no longer match their checksum.
    """
    values = row[:-1]
    crc = row[-1]
    if crc is not None and crc != row_crc(values):
        raise CacheDamaged(where)
    return values


class CacheHealth:
    """Whether the cache can be trusted; shared by the sale flow, the sync worker and the
    status (plain reads; writes under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.damaged: str | None = None  # why, when the cache is not to be trusted
        self.since: float | None = None
        self.rebuilds = 0
        self.last_rebuilt_at: float | None = None
        self.set_aside: str | None = None  # where the damaged copy was kept

    def mark(self, why: str) -> None:
        with self._lock:
            if self.damaged is None:
                log.error("cache damaged (%s): selling without loyalty until it is rebuilt", why)
                self.damaged = why
                self.since = time.time()

    def rebuilt(self) -> None:
        with self._lock:
            if self.damaged is not None:
                log.info("cache rebuilt from the server: loyalty is back")
            self.damaged = None
            self.since = None
            self.rebuilds += 1
            self.last_rebuilt_at = time.time()

    def report(self) -> dict[str, Any]:
        return {
            "loyalty": "unavailable" if self.damaged else "available",
            "damaged": self.damaged,
            "since": self.since,
            "rebuilds": self.rebuilds,
            "set_aside": self.set_aside,
        }
