"""``tillclub server …``: init-config, init-db, add-store, register-terminal, revoke-terminal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import create_app
from server.config import DEFAULTS, load_config
from server.db import get_engine
from tillclub.cli import main


def _cli(runner: CliRunner, config: Path, *args: str) -> str:
    result = runner.invoke(main, ["server", "--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_terminal_registered_on_the_command_line_enrols_and_can_be_revoked(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    db = tmp_path / "cli.db"
    _cli(runner, config, "init-config", str(config), "--database-url", f"sqlite:///{db}")
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert "revision" in _cli(runner, config, "init-db")
    _cli(runner, config, "add-store", "LOJA-01", "Loja Centro")
    code = _cli(runner, config, "register-terminal", "LOJA-01", "PDV 1").strip()
    assert len(code) == 19
    assert code.count("-") == 3

    app = create_app(load_config(config))
    try:
        client = app.test_client()
        enrolled = client.post("/api/v1/terminals/register", json={"code": code}).get_json()
        headers = {"Authorization": f"Bearer {enrolled['credential']}"}
        assert client.get("/api/v1/changes", headers=headers).status_code == 200
        listed = [json.loads(line) for line in _cli(runner, config, "list-terminals").splitlines()]
        assert [(t["terminal_id"], t["status"]) for t in listed] == [
            (enrolled["terminal_id"], "active")
        ]
        _cli(runner, config, "revoke-terminal", enrolled["terminal_id"])
        assert client.get("/api/v1/changes", headers=headers).status_code == 401
    finally:
        get_engine(app).dispose()


def test_clear_errors_for_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    missing = runner.invoke(main, ["server", "--config", str(config), "init-db"])
    assert missing.exit_code == 1
    assert "cannot read server config" in missing.output
    _cli(runner, config, "init-config", str(config), "--database-url", f"sqlite:///{tmp_path}/x.db")
    again = runner.invoke(main, ["server", "init-config", str(config)])
    assert again.exit_code == 1
    assert "not overwriting" in again.output
    _cli(runner, config, "init-db")
    unknown = runner.invoke(
        main, ["server", "--config", str(config), "register-terminal", "NOPE", "PDV"]
    )
    assert unknown.exit_code == 1
    assert "unknown store 'NOPE'" in unknown.output
    bad = tmp_path / "bad.toml"
    bad.write_text('database_url = "sqlite://"\ncolour = "blue"\n')
    r = runner.invoke(main, ["server", "--config", str(bad), "init-db"])
    assert r.exit_code == 1
    assert "unknown key 'colour'" in r.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TILLCLUB_SERVER_CPF_KEY": "not base64!"}, "cpf_key must be base64"),
        ({"TILLCLUB_SERVER_CPF_KEY": "c2hvcnQ="}, "cpf_key must decode to 32 bytes"),
        ({"TILLCLUB_SERVER_RATELIMIT_ENABLED": "maybe"}, "expected true/false"),
        ({"TILLCLUB_SERVER_EXPIRY_NOTICE_DAYS": "0"}, "expiry_notice_days must be a whole"),
    ],
)
def test_environment_overrides_are_checked(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    _cli(runner, config, "init-config", str(config), "--database-url", f"sqlite:///{tmp_path}/x.db")
    r = runner.invoke(main, ["server", "--config", str(config), "init-db"], env=env)
    assert r.exit_code == 1, r.output
    assert message in r.output, r.output


def test_the_example_config_documents_every_key_and_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "server.example.toml"
    text = example.read_text(encoding="utf-8")
    for key in DEFAULTS:
        forms = (f"\n{key.lower()} = ", f"\n# {key.lower()} = ", f"\n# [{key.lower()}]")
        assert any(form in text for form in forms), key
    config = load_config(example, env={})
    assert config["DATABASE_URL"].startswith("sqlite:///")


def test_run_without_config_makes_a_local_sqlite_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN no config WHEN ``tillclub server run`` THEN it writes ./tillclub-server.toml with
    secrets, migrates ./tillclub-server.db and serves it (Flask's ``run`` is stubbed here)."""
    from flask import Flask

    served: list[Flask] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLCLUB_SERVER_CONFIG", raising=False)
    monkeypatch.setattr(Flask, "run", lambda self, **kw: served.append(self))
    result = CliRunner().invoke(main, ["server", "run", "--port", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tillclub-server.toml").exists()
    assert (tmp_path / "tillclub-server.db").exists()
    assert served[0].test_client().get("/readyz").status_code == 200
    get_engine(served[0]).dispose()
