"""Alembic migrations build the whole schema from an empty database, on SQLite and PostgreSQL,
and leave nothing for autogenerate to add: the models and the migrations agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from server.db import Base, make_engine
from server.migrate import downgrade, head_revision, upgrade
from server.models import load_all

from .conftest import create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"  # type: ignore[operator]
        return
    name, url = create_pg_database("tc_migrate")
    try:
        yield url
    finally:
        drop_pg_database(name)


def test_upgrade_from_empty_reaches_head_with_no_pending_diff(empty_url: str) -> None:
    load_all()  # every area's models, not just those this test imported
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == head_revision()
            )
            assert conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar() == 0
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    """The single-shop default: WAL (readers never block the writer), fsync on commit, FKs on."""
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")  # type: ignore[operator]
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_storetz_keeps_existing_stores_zone_unset_and_numbers_them_for_the_tills(
    empty_url: str,
) -> None:
    """Existing stores keep ``timezone`` NULL (the campaigns' zones still apply: nobody changes
    zone on upgrade) and each takes a new change number, so every till pulls its store record."""
    upgrade(empty_url, "jobrunner_0001")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE change_counter SET value = 7"))
            for store in ("B-02", "A-01"):
                conn.execute(
                    text("INSERT INTO stores (id, name, active, created_at) "
                         "VALUES (:id, :id, true, '2026-01-01 00:00:00')"),
                    {"id": store},
                )  # fmt: skip
        upgrade(empty_url, "storetz_0001")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, timezone, change_seq FROM stores ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [("A-01", None, 8), ("B-02", None, 9)]
            assert conn.execute(text("SELECT value FROM change_counter")).scalar_one() == 9
        downgrade(empty_url, "jobrunner_0001")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("stores")}
            assert "timezone" not in columns
    finally:
        engine.dispose()


def test_refunds_copies_the_refund_reversals_already_in_the_ledger(empty_url: str) -> None:
    """A reversal a till's refund booked before the upgrade counts towards its entry's cap
    (``refund_reversals``, applied); a server-made ``reverse`` (no refund) is not copied."""
    upgrade(empty_url, "origin18_0001")
    engine = make_engine(empty_url)
    at = "'2026-03-02 12:00:00'"
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO refunds (refund_id, event_id, sale_id, store_id, terminal_id, "
                     "occurred_at, amount, lines, reason, recorded_at) VALUES ("
                     f"'R:L:T:000000000001', 'V:L:T:000000000009', 'S:L:T:000000000002', 'L', "
                     f"'T', {at}, 500, '[]', NULL, {at})")
            )  # fmt: skip
            for entry_id, event_id in (
                ("E:L:T:000000000003", "'V:L:T:000000000009'"),
                ("E:HQ:rs1:000000000004", "NULL"),
            ):
                conn.execute(
                    text("INSERT INTO ledger_entries (entry_id, member_id, currency, kind, "
                         "amount, effective_at, sale_id, reverses, event_id, recorded_at, "
                         f"change_seq) VALUES ('{entry_id}', 'M1', 'points', 'reverse', -1000, "
                         f"{at}, 'S:L:T:000000000002', 'E:L:T:000000000001', {event_id}, {at}, "
                         f"{len(entry_id)})")
                )  # fmt: skip
        upgrade(empty_url, "refunds_0001")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT entry_id, reverses, refund_id, applied, status FROM refund_reversals")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("E:L:T:000000000003", "E:L:T:000000000001", "R:L:T:000000000001", -1000, "applied")
        ]
        downgrade(empty_url, "origin18_0001")
    finally:
        engine.dispose()
