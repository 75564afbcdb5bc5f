"""``tillclub agent register | status`` against real files and a real server on loopback."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import click
from click.testing import CliRunner

from agent.cli_commands import COMMANDS
from agent.config import load_config
from agent.service import Agent
from tests.agent.sale.world import enrolment_code, fake_credential, line, live_server, write_config

group = click.Group("agent", commands={c.name: c for c in COMMANDS if c.name})


def test_register_writes_a_private_credential_and_status_reads_the_files(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        config = write_config(tmp_path, srv.url)
        code = enrolment_code(srv.app)
        result = CliRunner().invoke(
            group, ["register", "--config", str(config), "--server", srv.url, "--code", code]
        )
        assert result.exit_code == 0, result.output
        cred = tmp_path / "credential.json"
        assert cred.stat().st_mode & 0o777 == 0o600
        assert json.loads(cred.read_text())["credential"] not in result.output
        again = CliRunner().invoke(
            group, ["register", "--config", str(config), "--server", srv.url, "--code", code]
        )
        assert again.exit_code != 0
        assert "refused" in again.output
    agent = Agent(load_config(config))
    agent.sales.price("p1", [line("A")])
    agent.sales.finalise("p1")
    agent.close()
    out = CliRunner().invoke(group, ["status", "--config", str(config), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["queue"]["depth"] == 1
    assert report["running"] is False
    text = CliRunner().invoke(group, ["status", "--config", str(config)])
    assert "queue: 1 unsent event(s)" in text.output


def test_local_status_api_answers_json_on_loopback(tmp_path: Path) -> None:
    config = write_config(tmp_path, status="local_api_port = 0\n")
    fake_credential(tmp_path)
    agent = Agent(load_config(config))
    from agent.service import serve_status

    api = serve_status(agent, 0)
    try:
        port = api.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as r:
            body = json.loads(r.read())
        assert body["queue"]["depth"] == 0
        assert body["store_id"] == "LOJA-01"
        assert api.server_address[0] == "127.0.0.1"
    finally:
        api.shutdown()
        api.server_close()
        agent.close()


def test_a_broken_config_stops_with_key_and_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, offline='max_redeem_per_sale_brl = "-5"\n')
    result = CliRunner().invoke(group, ["status", "--config", str(config)])
    assert result.exit_code != 0
    assert "offline.max_redeem_per_sale_brl (line" in result.output


def test_queue_age_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path, offline="queue_age_warning_hours = 1\n")
    fake_credential(tmp_path)
    agent = Agent(load_config(config))
    agent.sales.price("p1", [line("A")])
    agent.sales.finalise("p1")
    agent.journal_conn.execute("UPDATE outbox SET created_at = created_at - 7200")
    report = agent.status()
    agent.close()
    assert any("oldest unsent event is 2.0 h old" in w for w in report["warnings"])
