"""Bulk inserts for the ingest hot path, straight through the DB driver.

SQLAlchemy's per-row parameter processing costs more than the database work for a batch of
hundreds of small rows, so the ingest writes with the driver's ``executemany`` (psycopg sends
them pipelined). Values are converted here with the same ``TypeDecorator``s the ORM uses, so
the stored bytes are identical to ORM writes (a test reads them back through the ORM).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator


def _driver(session: Session) -> tuple[Any, str]:
    conn = session.connection()
    return conn.connection.driver_connection, conn.dialect.name


@contextmanager
def _translated(session: Session, sql: str) -> Iterator[None]:
    """Driver errors as SQLAlchemy's, so callers catch ``IntegrityError`` whatever the path."""
    dbapi = session.get_bind().dialect.loaded_dbapi
    try:
        yield
    except dbapi.IntegrityError as exc:
        raise sa_exc.IntegrityError(sql, None, exc) from exc
    except dbapi.OperationalError as exc:
        raise sa_exc.OperationalError(sql, None, exc) from exc


@cache
def _plan(table: Table, dialect: str, ignore: bool) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    columns = tuple(c.name for c in table.columns)
    mark = "%s" if dialect == "postgresql" else "?"
    marks = ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    converters = tuple(_converter(table.columns[name].type, dialect) for name in columns)
    return sql, columns, converters


def _converter(type_: Any, dialect: str) -> Any:
    if isinstance(type_, TypeDecorator):
        return lambda v, t=type_: t.process_bind_param(v, None)
    if isinstance(type_, JSON):
        if dialect == "postgresql":
            from psycopg.types.json import Json

            return lambda v: None if v is None else Json(v)
        return lambda v: None if v is None else json.dumps(v)
    return lambda v: v.value if isinstance(v, enum.Enum) else v


def insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, ignore: bool = False
) -> None:
    """Insert ``rows`` (dicts; missing columns are ``None``) in one statement.

    PostgreSQL: ``INSERT … SELECT FROM unnest(column arrays)``, one plan for the whole batch;
    SQLite: ``executemany``.
    """
    if not rows:
        return
    driver, dialect = _driver(session)
    sql, columns, converters = _plan(table, dialect, ignore)
    cur = driver.cursor()
    try:
        if dialect == "postgresql":
            sql, values = _unnest(session, table, columns, converters, rows, ignore)
            with _translated(session, sql):
                cur.execute(sql, values)
            return
        params = [
            tuple(conv(row.get(col)) for col, conv in zip(columns, converters, strict=True))
            for row in rows
        ]
        with _translated(session, sql):
            cur.executemany(sql, params)
    finally:
        cur.close()


def _unnest(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    converters: tuple[Any, ...],
    rows: Sequence[Mapping[str, Any]],
    ignore: bool,
) -> tuple[str, list[list[Any]]]:
    values = [
        [conv(row.get(col)) for row in rows] for col, conv in zip(columns, converters, strict=True)
    ]
    # %b: binary parameters; text arrays would be quoted element by element (a regex each)
    arrays = ", ".join(f"%b::{t}[]" for t in _pg_types(table, session.get_bind().dialect))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    return sql, values


@cache
def _pg_types(table: Table, dialect: Any) -> tuple[str, ...]:
    return tuple(c.type.compile(dialect=dialect) for c in table.columns)


def claim_ids(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[str]:
    """Insert ``rows`` with ``ON CONFLICT DO NOTHING`` and return the keys this call inserted.

    PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays) … RETURNING``; a key being inserted
    by a concurrent, uncommitted transaction waits for it and comes back only if that one
    rolled back. SQLite (one writer at a time): row by row with ``RETURNING``.
    """
    if not rows:
        return set()
    driver, dialect = _driver(session)
    _, columns, converters = _plan(table, dialect, True)
    values = [
        [conv(row.get(col)) for row in rows] for col, conv in zip(columns, converters, strict=True)
    ]
    cur = driver.cursor()
    try:
        if dialect == "postgresql":
            sql, arrays = _unnest(session, table, columns, converters, rows, True)
            sql += f" RETURNING {key}"
            with _translated(session, sql):
                cur.execute(sql, arrays)
                return {r[0] for r in cur.fetchall()}
        claimed: set[str] = set()
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT DO NOTHING RETURNING {key}"
        )
        with _translated(session, sql):
            for params in zip(*values, strict=True):
                claimed.update(r[0] for r in cur.execute(sql, params).fetchall())
        return claimed
    finally:
        cur.close()
