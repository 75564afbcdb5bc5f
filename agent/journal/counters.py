"""The terminal's id counters: where every id this till makes comes from, kept across restarts.

Sale, entry, event, refund and member sequences, plus the positions used of each raffle block
(``raffle_block:<id>``, from 0). They are persisted in the same transaction as the rows whose
ids they gave (:mod:`agent.journal.sales`), and rolled back with them
(:mod:`agent.journal.transaction`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

NAMES = ("sale", "entry", "event", "refund", "member")


class Counters:
    """The id sequences and raffle block positions, in memory, with what the file holds.

    The id sequences travel in the sale or refund row a write adds (``next_ids``), so an
    ordinary sale updates no counters row; the ``counters`` table takes what a write advanced
    without such a row, and the raffle positions. On open, each sequence is the largest of the
    table and the newest sale and refund rows.
    """

    NAMES = NAMES

    def __init__(self, conn: sqlite3.Connection) -> None:
        rows = {str(k): int(v) for k, v in conn.execute("SELECT name, value FROM counters")}
        self.values = {name: rows.get(name, 1) for name in NAMES}
        self.values |= {k: v for k, v in rows.items() if k.startswith("raffle_block:")}
        for table in ("sales", "refunds"):
            row = conn.execute(f"SELECT next_ids FROM {table} ORDER BY seq DESC LIMIT 1").fetchone()
            for name, value in (orjson.loads(row[0]) if row else {}).items():
                if name in self.values:
                    self.values[name] = max(self.values[name], int(value))
        self.stored = dict(rows)  # what the counters table holds

    def take(self, name: str) -> int:
        value = self.values[name]
        self.values[name] = value + 1
        return value

    def used(self, name: str) -> int:
        return self.values.get(name, 0)

    def advance(self, name: str, count: int) -> None:
        self.values[name] = self.used(name) + count

    def snapshot(self) -> dict[str, int]:
        return dict(self.values)

    def restore(self, saved: dict[str, int]) -> None:
        self.values = dict(saved)

    def next_ids(self) -> str:
        """The id sequences as a sale or refund row carries them."""
        v = self.values
        return orjson.dumps({name: v[name] for name in NAMES}).decode()

    def changed(self, *, in_row: bool) -> list[tuple[str, int]]:
        """Counters the table must take: all that moved, less the id sequences ``in_row``."""
        skip = NAMES if in_row else ()
        stored = self.stored
        return [(k, v) for k, v in self.values.items() if k not in skip and stored.get(k) != v]

    def committed(self, written: Iterable[tuple[str, int]]) -> None:
        """``written`` is now in the counters table."""
        self.stored.update(written)
