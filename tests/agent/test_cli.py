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
from tests.agent.sale.world import (
    fake_credential,
    line,
    live_server,
    registration_code,
    write_config,
)

group = click.Group("agent", commands={c.name: c for c in COMMANDS if c.name})


def test_register_writes_a_private_credential_and_status_reads_the_files(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        config = write_config(tmp_path, srv.url)
        code = registration_code(srv.app)
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


def test_register_hands_over_what_offline_identification_needs(tmp_path: Path) -> None:
    """GIVEN a config naming no CPF secret and no QR key, WHEN the terminal registers, THEN
    both come from the server, land beside the credential (0600), and the till looks a CPF
    up and checks a phone QR with no further setup."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from loyalty.identification import card_number, cpf_hash, mint_qr
    from tests.agent.sale.world import (
        CPF_SECRET,
        T0,
        Clock,
        card_change,
        member_change,
        seed_cache,
    )

    key = Ed25519PrivateKey.generate()
    (tmp_path / "qr.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with live_server(tmp_path / "server.db") as srv:
        srv.app.config["QR_PRIVATE_KEY_PATH"] = str(tmp_path / "qr.pem")
        config = write_config(tmp_path, srv.url, identification='card_prefix = "29"\n')
        result = CliRunner().invoke(
            group,
            ["register", "--config", str(config), "--server", srv.url, "--code", code_of(srv)],
        )
    assert result.exit_code == 0, result.output
    secret_file = tmp_path / "cpf-hash.secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "qr-public-key.pem").stat().st_mode & 0o777 == 0o600
    assert secret_file.read_text().strip() not in result.output
    assert "CPF lookup works at this till" in result.output

    cpf = "52998224725"
    seed_cache(
        tmp_path / "cache.sqlite3",
        [
            member_change(1, "7", cpf_hash=cpf_hash(cpf, CPF_SECRET)),
            card_change(2, card_number(7), "7"),
        ],
    )
    agent = Agent(load_config(config), Clock(T0))
    try:
        assert agent.sales.identify("p1", cpf)["member"]["id"] == "7"
        qr = mint_qr(key, 7, now=T0, nonce=b"\x02" * 6)
        assert agent.sales.identify("p2", qr)["member"]["id"] == "7"
    finally:
        agent.close()


def test_register_says_when_the_server_has_no_cpf_secret(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        srv.app.config["CPF_HASH_SECRET"] = None
        config = write_config(tmp_path, srv.url, identification='card_prefix = "27"\n')
        result = CliRunner().invoke(
            group,
            ["register", "--config", str(config), "--server", srv.url, "--code", code_of(srv)],
        )
    assert result.exit_code == 0, result.output
    assert "CPFs cannot be looked up" in result.output
    assert "card prefix is '29'" in result.output
    assert not (tmp_path / "cpf-hash.secret").exists()


def code_of(srv: object) -> str:
    return registration_code(srv.app)  # type: ignore[attr-defined]


def test_register_warns_when_the_store_s_zone_is_not_the_terminal_s(tmp_path: Path) -> None:
    """The store's own zone (master data) comes back at enrolment; the till prices in it, and
    register says so when ``terminal.timezone`` (São Paulo by default) differs."""
    from server.services.terminals import add_store
    from server.services.uow import SqlUnitOfWork

    with live_server(tmp_path / "server.db") as srv:
        add_store(SqlUnitOfWork.for_app(srv.app), "LOJA-01", "Manaus", timezone="America/Manaus")
        config = write_config(tmp_path, srv.url)
        code = registration_code(srv.app)
        result = CliRunner().invoke(
            group, ["register", "--config", str(config), "--server", srv.url, "--code", code]
        )
        assert result.exit_code == 0, result.output
        assert "store LOJA-01 is in time zone America/Manaus" in result.output
        assert "campaigns are priced in America/Manaus" in result.output
