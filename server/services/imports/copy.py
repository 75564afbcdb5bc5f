"""Bulk writes for the importer: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite.

An import writes millions of rows into tables that already hold data, so it streams them the
way PostgreSQL loads fastest, through the driver's ``COPY`` (values converted with the same
``TypeDecorator`` s as :mod:`..bulk`, so the stored bytes are those of an ORM write). SQLite,
one writer at a time, takes one ``executemany`` per table per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from ..bulk import _plan, _translated, insert_rows


def write_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts; missing columns are ``None``); a duplicate key raises
    ``IntegrityError`` as any insert does (the importer decided there is none)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        insert_rows(session, table, rows)
        return
    _, columns, converters = _plan(table, "postgresql", False)
    pairs = list(zip(columns, converters, strict=True))
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cur = conn.connection.driver_connection.cursor()
    try:
        with _translated(session, sql), cur.copy(sql) as copy:
            for row in rows:
                copy.write_row([conv(row.get(col)) for col, conv in pairs])
    finally:
        cur.close()
