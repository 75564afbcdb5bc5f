"""``tillclub server import …``: a dry run writes nothing, a run takes the good rows, the error
file carries the bad ones with ``linha`` and ``motivo``, and the exit status says which."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from server import create_app
from server.config import load_config
from server.db import get_engine, new_session
from server.models import Member
from tillclub.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "import"


def _shell(tmp_path: Path) -> tuple[CliRunner, Path]:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    for args in (
        ["init-config", str(config), "--database-url", f"sqlite:///{tmp_path}/s.db"],
        ["--config", str(config), "init-db"],
        ["--config", str(config), "add-store", "LOJA-01", "Centro"],
        ["--config", str(config), "add-store", "LOJA-02", "Norte"],
    ):
        r = runner.invoke(main, ["server", *args])
        assert r.exit_code == 0, r.output
        if args[0] == "init-config":  # the old programme's cards start with 27
            config.write_text('card_legacy_prefixes = ["27"]\n' + config.read_text())
    return runner, config


def _members(config: Path) -> int:
    app = create_app(load_config(config))
    try:
        with new_session(app) as s:
            return s.scalar(select(func.count()).select_from(Member)) or 0
    finally:
        get_engine(app).dispose()


def test_dry_run_then_run_with_an_error_file(tmp_path: Path) -> None:
    runner, config = _shell(tmp_path)
    file = tmp_path / "m.csv"
    bad = "C-0009;Sem CPF válido;123.456.789-00;;;;;;;;;;;;\r\n"
    file.write_bytes((EXAMPLES / "members.csv").read_bytes() + bad.encode())
    base = ["server", "--config", str(config), "import", "members", str(file)]
    dry = runner.invoke(main, [*base, "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert "criaria 3" in dry.output
    assert "linha 5: CPF ***.456.789-** inválido" in dry.output
    assert _members(config) == 0
    errors = tmp_path / "erros.csv"
    done = runner.invoke(main, [*base, "--errors", str(errors)])
    assert done.exit_code == 1, done.output
    assert "criados 3" in done.output
    assert _members(config) == 3
    with open(errors, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:2] == ["id_externo", "nome"]
    assert rows[0][-2:] == ["linha", "motivo"]
    assert rows[1][0] == "C-0009"
    assert rows[1][-2:] == ["5", "CPF ***.456.789-** inválido"]
    again = runner.invoke(main, [*base[:-1], str(EXAMPLES / "members.csv"), "--lang", "en"])
    assert again.exit_code == 0, again.output
    assert "unchanged 3" in again.output


def test_a_file_without_a_required_column_is_refused(tmp_path: Path) -> None:
    runner, config = _shell(tmp_path)
    file = tmp_path / "x.csv"
    file.write_text("nome;cpf\nMaria;\n", encoding="utf-8")
    r = runner.invoke(main, ["server", "--config", str(config), "import", "members", str(file)])
    assert r.exit_code == 2
    assert "não tem a coluna id_externo" in r.output
