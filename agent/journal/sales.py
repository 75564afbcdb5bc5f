"""The journal's write model: a sale, refund or enrolment and everything it produced, at once.

:meth:`Journal.record` writes a :class:`Write` (the sale or refund row, its ledger entries,
voucher uses and restores, raffle tickets, outbox events, a shopper enrolled here, and the
counters its ids came from) in one ``BEGIN IMMEDIATE`` … ``COMMIT`` with ``synchronous=FULL``:
on disk before the POS hears "recorded", or not at all. :meth:`Journal.transaction` wraps the
building of a write too, so the counters roll back with it. The reads here are those of the
sale flow (retries, refunds, vouchers); the outbox and the local members have their own
modules.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from loyalty.rewards import LedgerEntry
from loyalty.rewards.ids import sequence_of

from ..storage_errors import DiskFull, is_disk_full, rollback
from . import answers, local_members, outbox
from .counters import Counters
from .local_members import LocalMemberRow, LocalMembers
from .outbox import QueueGauge
from .rows import (
    IssuedTicket,
    LocalVoucherUse,
    OutboxRow,
    RecordedSale,
    RefundRow,
    RefundStateRow,
    SaleRow,
    TicketRow,
    VoucherRestoreRow,
    VoucherUseRow,
)
from .transaction import JournalTransaction


def _seq(made_id: str, *, strict: bool = True) -> int:
    """The terminal's sequence number at the end of a sale or refund id (``…:000000000042``).

    :raises ValueError: ``strict`` and no such number (``-1`` otherwise: finds no row).
    """
    seq = sequence_of(made_id)
    if seq is not None:
        return seq
    if strict:
        raise ValueError(f"not an id made at this till: {made_id!r}")
    return -1


@dataclass
class Write:
    """The rows of one sale, refund or enrolment, made in memory, written by ``record``."""

    sale: SaleRow | None = None
    refund: RefundRow | None = None
    refund_state: RefundStateRow | None = None
    entries: list[LedgerEntry] = field(default_factory=list)
    events: list[OutboxRow] = field(default_factory=list)
    voucher_uses: list[VoucherUseRow] = field(default_factory=list)
    voucher_restores: list[VoucherRestoreRow] = field(default_factory=list)
    tickets: list[TicketRow] = field(default_factory=list)
    # a shopper enrolled here: written after the outbox rows (its enrolment event must be
    # among ``events``, found by its id)
    member: LocalMemberRow | None = None


class Journal:
    """The sale side of the journal; one instance per process, used under its lock.

    :param queue: kept up to date with the events each write adds (``None``: not counted).
    """

    def __init__(self, conn: sqlite3.Connection, queue: QueueGauge | None = None) -> None:
        self.conn = conn
        self.lock = threading.RLock()
        self.counters = Counters(conn)
        self.queue = queue
        self.members = LocalMembers(conn)

    def transaction(self) -> JournalTransaction:
        """``with journal.transaction() as tx:`` take ids from ``tx.counters``, then
        ``tx.record(write)``; any failure inside gives the ids back (see the module)."""
        return JournalTransaction(self)

    def record(self, write: Write, now: float | None = None) -> None:
        """Write ``write`` in one durable transaction (``synchronous=FULL``).

        Every row is built and encoded (JSON, LZ4) before ``BEGIN IMMEDIATE``: the write lock,
        which the sync worker's settle and checkpoint wait on, is held only for the inserts
        and the commit.
        """
        created = time.time() if now is None else now
        c = self.conn
        counters = self.counters
        in_row = write.sale is not None or write.refund is not None
        next_ids = counters.next_ids() if in_row else ""
        table = counters.changed(in_row=in_row)
        sale: tuple[object, ...] | None = None
        refund: tuple[object, ...] | None = None
        if write.sale is not None:
            pos_id, sale_id, member_id, at, cents, answer = write.sale
            blob = answers.encode(answer)
            sale = (_seq(sale_id), pos_id, sale_id, member_id, at, cents, blob, next_ids)
        if write.refund is not None:
            pos_id, refund_id, sale_id, answer = write.refund
            refund = (_seq(refund_id), pos_id, refund_id, sale_id, answers.encode(answer), next_ids)
        entries = [
            (e.member_id, e.entry_id, e.sale_id, answers.encode(e.to_dict())) for e in write.entries
        ]
        events = outbox.rows(write.events, created, outbox.keys_of(c))
        c.execute("BEGIN IMMEDIATE")
        try:
            if sale is not None:
                c.execute("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?)", sale)
            if refund is not None:
                c.execute("INSERT INTO refunds VALUES (?, ?, ?, ?, ?, ?)", refund)
            if write.refund_state is not None:
                c.execute("INSERT OR REPLACE INTO refund_state VALUES (?, ?)", write.refund_state)
            if len(entries) == 1:  # the usual member sale: no executemany iterator
                c.execute("INSERT INTO ledger VALUES (?, ?, ?, ?)", entries[0])
            elif entries:
                c.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?)", entries)
            if write.voucher_uses:
                c.executemany("INSERT INTO voucher_uses VALUES (?, ?, ?, ?)", write.voucher_uses)
            if write.voucher_restores:
                c.executemany(
                    "INSERT INTO voucher_restores VALUES (?, ?, ?, ?)", write.voucher_restores
                )
            if write.tickets:
                c.executemany("INSERT INTO raffle_tickets VALUES (?, ?, ?, ?, ?, ?)", write.tickets)
            outbox.insert(c, events)
            if write.member is not None:
                local_members.insert(c, write.member)
            if table:
                c.executemany("INSERT OR REPLACE INTO counters VALUES (?, ?)", table)
            c.execute("COMMIT")
        except BaseException as exc:
            # SQLite has already rolled back after a full disk: rollback() only undoes what is
            # open, so the POS hears the first error (disk_full), not "no transaction".
            rollback(c)
            if is_disk_full(exc):
                raise DiskFull() from exc
            raise
        counters.committed(table)
        if self.queue is not None:
            self.queue.add(len(write.events))

    # -- what the sale flow reads back ------------------------------------------------------

    def sale_answer(self, pos_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT answer FROM sales WHERE pos_id = ?", (pos_id,)).fetchone()
        return None if row is None else answers.decode(row[0])

    def refund_answer(self, pos_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT answer FROM refunds WHERE pos_id = ?", (pos_id,)).fetchone()
        return None if row is None else answers.decode(row[0])

    def sale_row(self, sale_id: str) -> RecordedSale | None:
        """A sale made here, by sale id (no index: the id's sequence is the row's key)."""
        row = self.conn.execute(
            "SELECT pos_id, member_id, total_cents, answer FROM sales "
            "WHERE seq = ? AND sale_id = ?",
            (_seq(sale_id, strict=False), sale_id),
        ).fetchone()
        return None if row is None else RecordedSale(row[0], row[1], row[2], answers.decode(row[3]))

    def sale_id_for_pos(self, pos_id: str) -> str | None:
        row = self.conn.execute("SELECT sale_id FROM sales WHERE pos_id = ?", (pos_id,)).fetchone()
        return None if row is None else str(row[0])

    def refund_state(self, sale_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT state FROM refund_state WHERE sale_id = ?", (sale_id,)
        ).fetchone()
        return None if row is None else orjson.loads(row[0])

    def entries_for_member(self, member_id: str) -> list[LedgerEntry]:
        rows = self.conn.execute("SELECT data FROM ledger WHERE member_id = ?", (member_id,))
        return [LedgerEntry.from_dict(answers.decode(r[0])) for r in rows]

    def entries_for_sale(self, sale_id: str, member_id: str) -> list[LedgerEntry]:
        rows = self.conn.execute(
            "SELECT data FROM ledger WHERE member_id = ? AND sale_id = ?", (member_id, sale_id)
        )
        return [LedgerEntry.from_dict(answers.decode(r[0])) for r in rows]

    def tickets_for_sale(self, sale_id: str) -> list[IssuedTicket]:
        """The raffle tickets of ``sale_id``, in issue order."""
        return [
            IssuedTicket(*r)
            for r in self.conn.execute(
                "SELECT ticket_id, campaign_id, number, member_id, issued_at "
                "FROM raffle_tickets WHERE sale_id = ? ORDER BY rowid",
                (sale_id,),
            )
        ]

    def voucher_uses(self, voucher_id: str) -> list[LocalVoucherUse]:
        """This till's uses of ``voucher_id``."""
        return [
            LocalVoucherUse(r[0], r[1], r[2], bool(r[3]))
            for r in self.conn.execute(
                "SELECT u.sale_id, u.member_id, u.used_at, r.sale_id IS NOT NULL "
                "FROM voucher_uses u LEFT JOIN voucher_restores r "
                "ON r.voucher_id = u.voucher_id AND r.sale_id = u.sale_id "
                "WHERE u.voucher_id = ?",
                (voucher_id,),
            )
        ]

    def vouchers_of_sale(self, sale_id: str) -> list[str]:
        """Voucher ids used on ``sale_id`` at this till and not yet given back by a refund."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT u.voucher_id FROM voucher_uses u WHERE u.sale_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM voucher_restores r "
                "WHERE r.voucher_id = u.voucher_id AND r.sale_id = u.sale_id) "
                "ORDER BY u.voucher_id",
                (sale_id,),
            )
        ]
