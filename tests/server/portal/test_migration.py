"""The portal's Alembic revision creates exactly the tables of ``server.models.portal``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.db import Base, make_engine
from server.migrate import alembic_config
from server.models import portal as _portal  # noqa: F401  (registers the tables)

PORTAL_TABLES = {"portal_accounts", "portal_sessions", "portal_consents", "portal_password_resets"}


def _portal_only(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in PORTAL_TABLES


def test_upgrade_matches_the_models_and_downgrade_removes_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "portal_0001")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert PORTAL_TABLES <= set(inspect(conn).get_table_names())
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _portal_only}
            )
            assert compare_metadata(context, Base.metadata) == []
        command.downgrade(alembic_config(url), "0001")
        with engine.connect() as conn:
            assert not PORTAL_TABLES & set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
