"""``tillclub server assign-raffle-block``: consecutive blocks per terminal, clear errors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from server import create_app
from server.config import load_config
from server.db import get_engine
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork
from tillclub.cli import main


def _cli(runner: CliRunner, config: Path, *args: str) -> str:
    result = runner.invoke(main, ["server", "--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_blocks_follow_each_other_and_errors_name_the_bad_value(tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    _cli(runner, config, "init-config", str(config), "--database-url", f"sqlite:///{tmp_path}/r.db")
    _cli(runner, config, "init-db")
    _cli(runner, config, "add-store", "LOJA-01", "Loja Centro")
    _cli(runner, config, "register-terminal", "LOJA-01", "PDV 1")
    (terminal,) = [
        json.loads(x)["terminal_id"] for x in _cli(runner, config, "list-terminals").splitlines()
    ]
    app = create_app(load_config(config))
    try:
        now = dt.datetime.now(dt.UTC)
        add_raffle(
            SqlUnitOfWork.for_app(app), "natal", "Natal", "SPA/MF 1", Decimal("50.00"),
            now, now + dt.timedelta(days=30),
        )  # fmt: skip
    finally:
        get_engine(app).dispose()
    first = _cli(runner, config, "assign-raffle-block", "natal", terminal, "--size", "500")
    assert f"positions 0-499 for {terminal}" in first
    second = _cli(runner, config, "assign-raffle-block", "natal", terminal)
    assert f"positions 500-1499 for {terminal}" in second
    bad = runner.invoke(
        main, ["server", "--config", str(config), "assign-raffle-block", "x", terminal]
    )
    assert bad.exit_code != 0
    assert "no raffle 'x'" in bad.output
    bad = runner.invoke(
        main, ["server", "--config", str(config), "assign-raffle-block", "natal", "T-NOPE"]
    )
    assert "no terminal 'T-NOPE'" in bad.output
    bad = runner.invoke(
        main,
        [
            "server",
            "--config",
            str(config),
            "assign-raffle-block",
            "natal",
            terminal,
            "--size",
            "0",
        ],
    )
    assert "must be positive" in bad.output
