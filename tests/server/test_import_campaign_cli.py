"""``tillclub server import-campaign``: into a draft (agents see nothing), ``--replace`` to
overwrite an existing campaign, ``--publish`` to simulate and publish as the web does, and
amounts kept as the decimal text of the file, never floats."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server import create_app
from server.config import load_config
from server.db import get_engine, new_session
from server.models import AuditLog, Campaign, CampaignDraft, CampaignSimulation
from tillclub.cli import main

FILE = """{"rules": [
  {"id": "iogurte", "kind": "amount_off", "name": "R$ 1,10 off", "amount": 1.10,
   "applies_to": {"skus": ["IOG"]}},
  {"id": "hort", "kind": "percent_off", "name": "Hortifruti", "percent": 12.5,
   "applies_to": {"categories": ["hortifruti"]}}
]}"""
OTHER = """{"rules": [{"id": "novo", "kind": "percent_off", "name": "Novo", "percent": "5",
  "applies_to": {"skus": ["X"]}}]}"""


class Shell:
    def __init__(self, tmp_path: Path) -> None:
        self.runner = CliRunner()
        self.config = tmp_path / "server.toml"
        self.tmp = tmp_path
        db = f"sqlite:///{tmp_path}/c.db"
        self.ok("init-config", str(self.config), "--database-url", db)
        self.ok("init-db")
        self.ok("add-store", "LOJA-01", "Centro")

    def run(self, *args: str) -> tuple[int, str]:
        r = self.runner.invoke(main, ["server", "--config", str(self.config), *args])
        return r.exit_code, r.output

    def ok(self, *args: str) -> str:
        code, out = self.run(*args)
        assert code == 0, out
        return out

    def file(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def rows(self) -> tuple[Campaign | None, CampaignDraft | None, int, list[str]]:
        app = create_app(load_config(self.config))
        try:
            with new_session(app) as s:
                pub = s.get(Campaign, "verao")
                draft = s.get(CampaignDraft, "verao")
                sims = len(s.scalars(select(CampaignSimulation)).all())
                actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
                s.expunge_all()
                return pub, draft, sims, actions
        finally:
            get_engine(app).dispose()


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def test_import_lands_in_a_draft_with_the_files_decimals(shell: Shell) -> None:
    out = shell.ok("import-campaign", shell.file("c.json", FILE), "--id", "verao")
    assert "2 rules imported into the draft" in out
    pub, draft, _, actions = shell.rows()
    assert pub is None  # agents pull nothing
    assert draft is not None
    amounts = [(r.get("amount"), r.get("percent")) for r in draft.document["rules"]]
    assert amounts == [("1.10", None), (None, "12.5")]  # text as written, not 1.1 / 12.5 floats
    assert "campaign.import" in actions


def test_an_existing_campaign_is_replaced_only_with_replace(shell: Shell) -> None:
    shell.ok("import-campaign", shell.file("c.json", FILE), "--id", "verao")
    code, out = shell.run("import-campaign", shell.file("o.json", OTHER), "--id", "verao")
    assert code == 1
    assert "campaign verao exists (draft; rules: iogurte, hort)" in out
    assert "--replace" in out
    _, draft, _, _ = shell.rows()
    assert draft is not None
    assert [r["id"] for r in draft.document["rules"]] == ["iogurte", "hort"]
    shell.ok("import-campaign", shell.file("o.json", OTHER), "--id", "verao", "--replace")
    _, draft, _, _ = shell.rows()
    assert draft is not None
    assert [r["id"] for r in draft.document["rules"]] == ["novo"]


def test_publish_simulates_then_publishes_and_replace_guards_the_live_campaign(
    shell: Shell,
) -> None:
    out = shell.ok(
        "import-campaign", shell.file("c.json", FILE), "--id", "verao", "--store", "LOJA-01",
        "--publish",
    )  # fmt: skip
    assert "published as version 1" in out
    pub, draft, sims, actions = shell.rows()
    assert draft is None
    assert pub is not None
    assert pub.version == 1
    assert pub.store_ids == ["LOJA-01"]
    assert pub.document["rules"][0]["amount"] == "1.10"
    assert sims == 1
    assert actions[-3:] == ["campaign.import", "campaign.simulate", "campaign.publish"]
    code, out = shell.run(
        "import-campaign", shell.file("o.json", OTHER), "--id", "verao", "--publish"
    )
    assert code == 1
    assert "published version 1" in out
    shell.ok("import-campaign", shell.file("o.json", OTHER), "--id", "verao", "--replace",
             "--publish")  # fmt: skip
    pub, _, _, _ = shell.rows()
    assert pub is not None
    assert (pub.version, [r["id"] for r in pub.document["rules"]]) == (2, ["novo"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"rules": [{"id": "a", "kind": "amount_off", "name": "A", "amount": 1e400}]}',
         "at most 10000000.00"),
        ('{"rules": [{"id": "a", "kind": "amount_off", "name": "A", "amount": "1e400"}]}',
         "at most 10000000.00"),
        ('{"rules": [', "not valid JSON"),
        ('{"rules": [{"id": "a", "kind": "percent_off", "name": "A", "pecent": "5"}]}', "pecent"),
    ],
)  # fmt: skip
def test_a_bad_file_is_named_and_nothing_is_written(shell: Shell, text: str, message: str) -> None:
    code, out = shell.run("import-campaign", shell.file("b.json", text), "--id", "verao",
                          "--publish")  # fmt: skip
    assert code == 1
    assert message in out
    assert "Traceback" not in out
    pub, draft, sims, _ = shell.rows()
    assert (pub, draft, sims) == (None, None, 0)


def test_an_unknown_store_is_refused(shell: Shell) -> None:
    code, out = shell.run(
        "import-campaign", shell.file("c.json", FILE), "--id", "verao", "--store", "LOJA-99"
    )
    assert code == 1
    assert "unknown store 'LOJA-99'" in out
    assert shell.rows()[1] is None
