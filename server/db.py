"""Database plumbing: the declarative base, column types, engine and session factory.

Money and ledger amounts are stored as integer cents (``BigInteger``) behind one
``TypeDecorator`` that returns ``Decimal``: the same bytes on SQLite and PostgreSQL, no float
anywhere (SQLAlchemy warns that SQLite's ``Numeric`` is a float). Datetimes are stored in UTC
and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from sqlalchemy import BigInteger, DateTime, Engine, Enum, MetaData, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import JSON, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Cents(TypeDecorator[Decimal]):
    """A signed ``Decimal`` with at most two decimal places, stored as integer hundredths.

    Binding a float, or a value with sub-cent digits, raises: rounding is the caller's job
    (``Money.quantize``), never the database's.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"amount must be Decimal or int, not {type(value).__name__}: {value!r}")
        scaled = Decimal(value).scaleb(2)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount has more than two decimal places: {value!r}")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2)


class Thousandths(TypeDecorator[Decimal]):
    """A quantity to the gram (three decimals), stored as integer thousandths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(
                f"quantity must be Decimal or int, not {type(value).__name__}: {value!r}"
            )
        scaled = Decimal(value).scaleb(3)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"quantity has more than three decimal places: {value!r}")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-3)


class TZDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as naive UTC; naive input is refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"datetime must be timezone-aware: {value!r}")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        moment: dt.datetime = value
        return moment.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: TZDateTime(),
        Decimal: Cents(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        str: String(),
    }


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers the lock; take it at BEGIN so a read-then-write
        # transaction cannot deadlock against another writer.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"application_name": "tillclub-server"},
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see make_engine)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Readers (snapshot streaming) ask for a deferred BEGIN so they never block writers.
    if conn.get_execution_options().get("tillclub_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def readonly_session(app: Flask | None = None) -> Session:
    """A session for long reads: a deferred transaction on SQLite (WAL gives it a snapshot),
    REPEATABLE READ on PostgreSQL so a streamed snapshot sees one consistent state."""
    engine = get_engine(app)
    if engine.dialect.name == "sqlite":
        bind = engine.execution_options(tillclub_readonly=True)
    else:
        bind = engine.execution_options(isolation_level="REPEATABLE READ")
    return Session(bind=bind, expire_on_commit=False)


def init_app(app: Flask) -> None:
    """Build the engine and session factory for ``app`` from ``DATABASE_URL``."""
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
    app.extensions["tillclub.engine"] = engine
    app.extensions["tillclub.sessions"] = sessionmaker(engine, expire_on_commit=False)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["tillclub.engine"]
    return engine


def new_session(app: Flask | None = None) -> Session:
    """A new session; use as ``with new_session() as s, s.begin(): ...``."""
    factory: sessionmaker[Session] = (app or current_app).extensions["tillclub.sessions"]
    return factory()


def str_enum(enum_cls: type[enum.Enum]) -> Enum:
    """A portable enum column: a VARCHAR of the members' values (no native PG type to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda e: [str(m.value) for m in e],
        validate_strings=True,
    )
