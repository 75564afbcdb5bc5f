"""``tillclub server create-admin``: password from stdin (never argv), roles, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server import create_app
from server.admin import init_app
from server.clock import now as utcnow
from server.config import new_config_text
from server.db import new_session
from server.migrate import upgrade
from server.models import AdminUser, AuditLog
from server.services.admin_accounts import authenticate
from server.services.uow import SqlUnitOfWork
from tillclub.commands.server_admin import create_admin


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "server.toml"
    url = f"sqlite:///{tmp_path / 'srv.db'}"
    path.write_text(new_config_text(url))
    upgrade(url)
    return path


def _run(config: Path, args: list[str], stdin: str) -> object:
    return CliRunner().invoke(create_admin, args, input=stdin, obj={"config_path": config})


def test_creates_an_admin_that_can_log_in(config: Path) -> None:
    result = _run(config, ["Ana@HQ.example", "--role", "marketing"], "a long enough secret\n")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "role marketing" in result.output  # type: ignore[attr-defined]
    assert "a long enough secret" not in result.output  # type: ignore[attr-defined]
    from server.config import load_config

    app = create_app(load_config(config))
    init_app(app)
    assert authenticate(
        SqlUnitOfWork.for_app(app),
        "ana@hq.example",
        "a long enough secret",
        now=utcnow(),
        threshold=5,
        lock_minutes=15,
    ).user
    with new_session(app) as s, s.begin():
        assert s.scalars(select(AdminUser.email)).all() == ["ana@hq.example"]
        assert s.scalars(select(AuditLog.action)).all()[0] == "admin_user.create"


def test_refuses_weak_password_duplicate_and_store_manager_without_store(config: Path) -> None:
    weak = _run(config, ["ana@hq.example"], "short\n")
    assert weak.exit_code == 1
    assert "at least 12" in weak.output
    assert _run(config, ["ana@hq.example"], "a long enough secret\n").exit_code == 0  # type: ignore[attr-defined]
    dup = _run(config, ["ana@hq.example"], "a long enough secret\n")
    assert dup.exit_code == 1
    assert "exists already" in dup.output
    mgr = _run(config, ["ger@hq.example", "--role", "store_manager"], "a long enough secret\n")
    assert mgr.exit_code == 1
    assert "needs at least one store" in mgr.output
    empty = _run(config, ["x@hq.example"], "\n")
    assert empty.exit_code == 1
    assert "no password" in empty.output


def test_uninitialised_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(new_config_text(f"sqlite:///{tmp_path / 'empty.db'}"))
    result = _run(path, ["ana@hq.example"], "a long enough secret\n")
    assert result.exit_code == 1
    assert "init-db" in result.output


def test_set_admin_password_ends_the_users_sessions(config: Path) -> None:
    from server.config import load_config
    from server.models import AdminSession
    from server.services.admin_sessions import open_session
    from tillclub.commands.server_admin import set_admin_password

    assert _run(config, ["ana@hq.example"], "a long enough secret\n").exit_code == 0  # type: ignore[attr-defined]
    app = create_app(load_config(config))
    with new_session(app) as s:
        user_id = s.scalars(select(AdminUser.id)).one()
    open_session(SqlUnitOfWork.for_app(app), user_id, utcnow())
    result = CliRunner().invoke(
        set_admin_password,
        ["Ana@HQ.example"],
        input="another long secret\n",
        obj={"config_path": config},
    )
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    with new_session(app) as s:
        assert s.scalars(select(AdminSession.revoked_reason)).all() == ["password"]
    refused = CliRunner().invoke(
        set_admin_password,
        ["nobody@hq.example"],
        input="x" * 20 + "\n",
        obj={"config_path": config},
    )
    assert refused.exit_code != 0
    assert "no admin user" in refused.output
