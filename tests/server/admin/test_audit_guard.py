"""The audit log is append-only: the app has no update/delete path, and on PostgreSQL the
``admin_0001`` trigger refuses UPDATE to everyone and DELETE/TRUNCATE to the app's role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.db import get_engine
from server.migrate import downgrade, upgrade
from server.services.uow import SqlUnitOfWork

from ..conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg() -> Iterator[str]:
    name, url = create_pg_database("tc_admin_audit")
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
def app_role(pg: str) -> Iterator[tuple[Flask, str]]:
    from .conftest import build_app

    app = build_app(pg)
    role = f"tc_app_{uuid.uuid4().hex[:8]}"
    with get_engine(app).begin() as conn:
        conn.execute(text(f"CREATE ROLE {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_log TO {role}"))
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        uow.audit_change(
            "ana@hq.example", "member.adjust", "member", "m1", before={"a": 1}, after={"a": 2}
        )
        uow.commit()
    yield app, role
    with get_engine(app).begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))
    get_engine(app).dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'nothing.happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
def test_the_app_role_cannot_change_or_remove_audit_rows(
    app_role: tuple[Flask, str], statement: str
) -> None:
    app, role = app_role
    with get_engine(app).connect() as conn:
        conn.execute(text(f"SET ROLE {role}"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()
    with get_engine(app).connect() as conn:
        assert (
            conn.execute(text("SELECT action FROM audit_log")).scalars().all()[-1]
            == "member.adjust"
        )


def test_nobody_updates_audit_rows_not_even_a_superuser(app_role: tuple[Flask, str]) -> None:
    app, _ = app_role
    with get_engine(app).connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("UPDATE audit_log SET detail = '{}'"))


def test_a_declared_purge_may_delete(app_role: tuple[Flask, str]) -> None:
    app, role = app_role
    with get_engine(app).begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {role}"))
        conn.execute(text("SET LOCAL tillclub.audit_purge = 'on'"))
        before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'member.adjust'")
        ).scalar_one()
        deleted = conn.execute(text("DELETE FROM audit_log WHERE action = 'member.adjust'"))
        assert before > 0
        assert deleted.rowcount == before  # the purge really removed the rows
    with get_engine(app).connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'member.adjust'")
        ).scalar_one()
    assert left == 0


def test_downgrade_removes_the_guard(pg: str) -> None:
    downgrade(pg, "portal_0001")
    upgrade(pg)
    from .conftest import build_app

    app = build_app(pg)
    with get_engine(app).connect() as conn:
        names = (
            conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'audit_log_%'"))
            .scalars()
            .all()
        )
    assert sorted(names) == ["audit_log_append_only", "audit_log_no_truncate"]
    get_engine(app).dispose()
