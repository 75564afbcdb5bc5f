"""Stores and terminals for head office: the list with each terminal's last contact, queue
depth (and the age of its oldest unsent event), last sync error and agent version, creating
stores, registering (registration code) and revoking terminals.

Registration and revocation go through the server's terminal service (``server.services.
terminals``), which hashes codes and credentials; this module adds the store scope check and
the before/after audit rows of the web UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Store, Terminal, TerminalReport


@dataclass(frozen=True)
class TerminalRow:
    id: str
    name: str
    status: str
    last_seen_at: dt.datetime | None
    agent_version: str | None
    queue_depth: int | None
    reported_at: dt.datetime | None
    registration_expires_at: dt.datetime | None
    oldest_event_age_s: int | None = None  # the till's oldest unsent event, seconds
    last_error: str | None = None  # the till's last sync error (None: none)


@dataclass(frozen=True)
class StoreRow:
    id: str
    name: str
    active: bool
    terminals: list[TerminalRow]


def list_stores(session: Session, stores: frozenset[str] | None) -> list[StoreRow]:
    stmt = select(Store).order_by(Store.id)
    if stores is not None:
        stmt = stmt.where(Store.id.in_(stores))
    out = []
    for store in session.scalars(stmt):
        out.append(StoreRow(store.id, store.name, store.active, terminals(session, store.id)))
    return out


def terminals(session: Session, store_id: str) -> list[TerminalRow]:
    stmt = (
        select(Terminal, TerminalReport)
        .outerjoin(TerminalReport, TerminalReport.terminal_id == Terminal.id)
        .where(Terminal.store_id == store_id)
        .order_by(Terminal.created_at)
    )
    return [
        TerminalRow(
            t.id,
            t.name,
            t.status.value,
            t.last_seen_at,
            r.agent_version if r else None,
            r.queue_depth if r else None,
            r.reported_at if r else None,
            t.registration_expires_at,
            r.oldest_event_age_s if r else None,
            r.last_error if r else None,
        )
        for t, r in session.execute(stmt)
    ]
