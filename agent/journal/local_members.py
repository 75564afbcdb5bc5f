"""Shoppers who joined at this till, known here at once until the cache holds the server's copy.

A ``local_members`` row is written with its enrolment event, in the same transaction
(:func:`insert`); the lookups find it by card, CPF hash or id (:class:`LocalMembers`). Never
the card number nor the CPF: their keyed hashes (the card's is the cache's,
``HMAC-SHA256(card key, number)``, :mod:`agent.journal.keys`); the clear values travel in the
enrolment's sealed outbox payload only. Once the server has the member (the enrolment event
applied, the cache holding the member) the row has done its job and :func:`prune_synced`
drops it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..storage_errors import rollback
from . import answers
from .keys import JournalKeyError
from .outbox import keys_of


@dataclass(frozen=True)
class LocalMemberRow:
    """A ``local_members`` row: a shopper enrolled at this till (no clear CPF nor card, ever).

    ``card_hash``: the card handed over as :meth:`LocalMembers.card_hash` makes it.
    """

    member_id: str
    name: str
    cpf_hash: str | None
    card_hash: bytes | None
    created_at: str
    pos_id: str
    answer: dict[str, Any]  # the enrolment part of the first answer (masked CPF only)
    event_id: str


@dataclass(frozen=True)
class LocalMember:
    """A shopper enrolled at this till, as the lookups see it.

    ``rejected``: the server's reason when it refused the enrolment (the outbox row is
    parked), else ``None`` (sent and applied, or still waiting).
    """

    member_id: str
    name: str
    cpf_hash: str | None
    card_hash: bytes | None
    pos_id: str
    answer: dict[str, Any]
    rejected: str | None


def insert(conn: sqlite3.Connection, m: LocalMemberRow) -> None:
    """Write ``m`` inside the caller's transaction, after its enrolment event's outbox row.

    ``outbox_seq`` + ``event_id`` find that row later: gone (applied), still pending, or
    parked as rejected (``seq`` alone could be a reused rowid).
    """
    conn.execute(
        "INSERT INTO local_members VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "(SELECT seq FROM outbox WHERE event_id = ? ORDER BY seq DESC LIMIT 1))",
        (
            m.member_id,
            m.name,
            m.cpf_hash,
            m.card_hash,
            m.created_at,
            m.pos_id,
            answers.encode(m.answer),
            m.event_id,
            m.event_id,
        ),
    )


class LocalMembers:
    """The reads of ``local_members`` (with the state of each enrolment's outbox row)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def by_id(self, member_id: str) -> LocalMember | None:
        return self._one("m.member_id = ?", member_id)

    def card_hash(self, number: str) -> bytes:
        """``number`` (a card whose check digit passed) as ``local_members`` keys it.

        :raises JournalKeyError: a journal connection opened without the till's keys.
        """
        keys = keys_of(self.conn)
        if keys is None:
            raise JournalKeyError("this journal connection has no card key (connect_journal)")
        return keys.card_hash(number)

    def by_card(self, number: str) -> LocalMember | None:
        """The shopper enrolled here with card ``number`` (hashed; the number is not kept)."""
        return self._one("m.card_hash = ?", self.card_hash(number))

    def by_cpf_hash(self, cpf_hash: str) -> list[LocalMember]:
        """Newest first: a CPF freed at the server (an account deleted) may join again."""
        rows = self.conn.execute(_SELECT + "m.cpf_hash = ? ORDER BY m.rowid DESC", (cpf_hash,))
        return [_member(r) for r in rows]

    def of_sale(self, pos_id: str) -> list[LocalMember]:
        """The shoppers enrolled on POS sale ``pos_id``, oldest first (a retry's first answer)."""
        rows = self.conn.execute(_SELECT + "m.pos_id = ? ORDER BY m.rowid", (pos_id,))
        return [_member(r) for r in rows]

    def _one(self, where: str, value: str | bytes) -> LocalMember | None:
        row = self.conn.execute(_SELECT + where, (value,)).fetchone()
        return None if row is None else _member(row)


def prune_synced(
    conn: sqlite3.Connection, on_server: Callable[[str], bool], before: datetime
) -> int:
    """Drop the rows of members the server has, enrolled before ``before``; how many went.

    The server has a member when its enrolment event left the outbox as applied (no row at
    ``outbox_seq`` with that event id) and ``on_server(member_id)`` says so (the cache holds
    the server's copy, which from then on answers every lookup alone). A pending or rejected
    enrolment is kept. ``before`` keeps the newest rows a while, so a POS retrying an
    enrolment still gets its first answer back.
    """
    rows = conn.execute(
        "SELECT m.member_id, m.created_at FROM local_members m WHERE NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.seq = m.outbox_seq AND o.event_id = m.event_id)"
    ).fetchall()
    gone = [
        (member_id,)
        for member_id, created_at in rows
        if datetime.fromisoformat(created_at) < before and on_server(member_id)
    ]
    if not gone:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("DELETE FROM local_members WHERE member_id = ?", gone)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return len(gone)


_SELECT = (
    "SELECT m.member_id, m.name, m.cpf_hash, m.card_hash, m.pos_id, m.answer, o.state, o.error "
    "FROM local_members m LEFT JOIN outbox o ON o.seq = m.outbox_seq AND o.event_id = m.event_id "
    "WHERE "
)


def _member(row: Sequence[Any]) -> LocalMember:
    rejected = (row[7] or "rejected") if row[6] == 2 else None
    return LocalMember(row[0], row[1], row[2], row[3], row[4], answers.decode(row[5]), rejected)
