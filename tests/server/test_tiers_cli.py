"""``tillclub server set-tier-ladder`` and ``review-tiers``: the nightly job from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from server import create_app
from server.config import load_config
from server.db import get_engine, new_session
from server.models import Member
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork
from tillclub.cli import main


def _cli(runner: CliRunner, config: Path, *args: str) -> str:
    result = runner.invoke(main, ["server", "--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_set_a_ladder_then_review_prints_counts_and_bad_input_is_named(tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    _cli(runner, config, "init-config", str(config), "--database-url", f"sqlite:///{tmp_path}/t.db")
    _cli(runner, config, "init-db")
    app = create_app(load_config(config))
    try:
        add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Ana")
    finally:
        get_engine(app).dispose()

    ladder = tmp_path / "ladder.json"
    ladder.write_text(json.dumps({"tiers": [{"name": "gold", "threshold": "10"}]}))
    bad = runner.invoke(main, ["server", "--config", str(config), "set-tier-ladder", str(ladder)])
    assert bad.exit_code == 1
    assert "first tier must have threshold 0" in bad.output
    # No ladder stored: a review has nothing to apply and changes nobody.
    assert json.loads(_cli(runner, config, "review-tiers"))["changed"] == 0

    ladder.write_text(
        json.dumps(
            {
                "tiers": [
                    {"name": "classic", "threshold": "0"},
                    {"name": "gold", "threshold": "2000.00"},
                ]
            }
        )  # fmt: skip
    )
    assert "classic 0.00, gold 2000.00" in _cli(runner, config, "set-tier-ladder", str(ladder))
    out = json.loads(_cli(runner, config, "review-tiers", "--at", "2026-03-04T10:00-03:00"))
    assert out == {"at": "2026-03-04T10:00:00-03:00", "members": 1, "reviewed": 1, "promoted": 0,
                   "demoted": 0, "assigned": 1, "cleared": 0, "changed": 1}  # fmt: skip
    app = create_app(load_config(config))
    try:
        with new_session(app) as s:
            assert s.execute(select(Member.tier)).scalar_one() == "classic"
    finally:
        get_engine(app).dispose()

    naive = runner.invoke(
        main, ["server", "--config", str(config), "review-tiers", "--at", "2026-03-04T10:00"]
    )
    assert naive.exit_code == 2
    assert "needs a time zone" in naive.output
