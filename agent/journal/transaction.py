"""One journal transaction around a sale, refund or enrolment: ids, rows and rollback together.

Building a write takes ids from the terminal's counters (sale, entries, events, raffle
positions) before anything is on disk. If building or committing fails, the ids must come
back, or the next sale would skip numbers that nothing used; if the commit succeeds they are
spent. ::

    with journal.transaction() as tx:
        answer, write = build(tx.counters)
        tx.record(write)

The transaction holds the journal's lock from start to end (one writer of the counters at a
time). Leaving the block by an exception, or without having recorded a write, gives back
every id taken inside it.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from .counters import Counters

if TYPE_CHECKING:
    from .sales import Journal, Write


class JournalTransaction:
    """See the module docstring; made by :meth:`agent.journal.Journal.transaction`."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.recorded = False
        self._saved: dict[str, int] | None = None

    @property
    def counters(self) -> Counters:
        return self.journal.counters

    def __enter__(self) -> JournalTransaction:
        self.journal.lock.acquire()
        self._saved = self.journal.counters.snapshot()
        return self

    def record(self, write: Write) -> None:
        """Commit ``write`` durably; at most once per transaction."""
        if self.recorded:
            raise RuntimeError("a journal transaction records one write")
        self.journal.record(write)
        self.recorded = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if (kind is not None or not self.recorded) and self._saved is not None:
                self.journal.counters.restore(self._saved)
        finally:
            self._saved = None
            self.journal.lock.release()
