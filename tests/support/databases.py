"""Migrated server databases for tests: a SQLite file or a fresh PostgreSQL database.

PostgreSQL is the real server on 127.0.0.1:5432 (``TILLCLUB_TEST_PG`` overrides); each call
makes a database of its own, so parallel test runs never share one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_ADMIN = os.environ.get("TILLCLUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def create_pg_database(prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database(kind: str, directory: Path, prefix: str = "tc") -> Iterator[str]:
    """A database URL of ``kind`` (``sqlite`` or ``postgresql``) migrated to every head."""
    from server.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{directory / 'server.db'}"
        upgrade(url)
        yield url
        return
    name, url = create_pg_database(prefix)
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)
