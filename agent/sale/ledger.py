"""Members' ledger entries, parsed once and kept in memory for the sale flow.

A frequent shopper has hundreds of entries; parsing them from JSON at every identify and
finalise would cost more than the durable commit. This keeps, for the most recent members,
the server's entries (from the cache) and this till's entries (from the journal) as
``LedgerEntry`` objects. This till's new entries are added as they are committed; the sync
worker invalidates the members whose server entries it pulled (any thread may call
:meth:`LedgerMemo.invalidate`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from loyalty.rewards import LedgerEntry

Loader = Callable[[str], list[LedgerEntry]]


class LedgerMemo:
    def __init__(self, server: Loader, local: Loader, size: int = 1024) -> None:
        self._load_server = server
        self._load_local = local
        self.size = size
        self._lock = threading.Lock()
        self._generation = 0  # bumped by invalidate: a load that raced with it is not kept
        self._members: OrderedDict[str, tuple[dict[str, LedgerEntry], dict[str, LedgerEntry]]]
        self._members = OrderedDict()

    def entries(self, member_id: str) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
        """The server's entries, and this till's entries the server's list lacks."""
        with self._lock:
            known = self._members.get(member_id)
            if known is not None:
                self._members.move_to_end(member_id)
            generation = self._generation
        if known is None:
            server = {e.entry_id: e for e in self._load_server(member_id)}
            local = {e.entry_id: e for e in self._load_local(member_id)}
            known = (server, local)
            with self._lock:
                if generation != self._generation:
                    return list(server.values()), [e for i, e in local.items() if i not in server]
                self._members[member_id] = known
                while len(self._members) > self.size:
                    self._members.popitem(last=False)
        server, local = known
        return list(server.values()), [e for i, e in local.items() if i not in server]

    def add_local(self, entries: Iterable[LedgerEntry]) -> None:
        """Entries this till just committed (members not in memory load them when asked)."""
        with self._lock:
            for e in entries:
                known = self._members.get(e.member_id)
                if known is not None:
                    known[1][e.entry_id] = e

    def invalidate(self, member_ids: Iterable[str] | None = None) -> None:
        """Forget ``member_ids`` (``None``: everyone), to be read again from the files."""
        with self._lock:
            self._generation += 1
            if member_ids is None:
                self._members.clear()
            else:
                for m in member_ids:
                    self._members.pop(m, None)
