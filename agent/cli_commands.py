"""Click commands ``register``, ``run`` and ``status`` for the ``tillclub agent`` group.

The lead attaches them with ``command.add_command(...)`` (``COMMANDS`` lists them). Every
command reads the agent's TOML file: ``--config`` or ``$TILLCLUB_AGENT_CONFIG``. Nothing
here prints a credential, card number or CPF.
"""

from __future__ import annotations

import json
import signal
import threading
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from loyalty.errors import LoyaltyError

DEFAULT_CONFIG = "/etc/tillclub/agent.toml"
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TILLCLUB_AGENT_CONFIG",
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The agent's TOML file (or $TILLCLUB_AGENT_CONFIG).",
)


def _config(path: Path) -> Any:
    from agent.config import load_config

    try:
        return load_config(path)
    except LoyaltyError as exc:
        raise click.ClickException(exc.message_en) from None


@click.command("register")
@config_option
@click.option("--server", "server_url", required=True, help="The central server's base URL.")
@click.option("--code", required=True, help="One-time registration code from head office.")
def register(config_path: Path, server_url: str, code: str) -> None:
    """Register this terminal: trade the one-time code for its credential (written mode 0600)."""
    from agent.service import Credential, write_credential
    from agent.sync import SyncFailed
    from agent.sync import register as register_terminal

    config = _config(config_path)
    try:
        body = register_terminal(server_url, code, timeout=config.server.timeout_seconds)
    except SyncFailed as exc:
        raise click.ClickException(str(exc)) from None
    if body["store_id"] != config.terminal.store:
        raise click.ClickException(
            f"the code is for store {body['store_id']!r} but terminal.store is "
            f"{config.terminal.store!r}: fix the config or ask for a code of this store"
        )
    path = config.server.credential_file
    write_credential(path, Credential(body["credential"], body["terminal_id"], body["store_id"]))
    click.echo(
        f"terminal {body['terminal_id']} of store {body['store_id']} registered; "
        f"credential written to {path}"
    )
    for line in write_identification(config, body.get("identification") or {}):
        click.echo(line)
    zone = body.get("store_timezone")
    if zone and zone != config.terminal.timezone:
        # Pricing follows the store's zone (pulled with the store record); the terminal's
        # setting still dates its shift reports and daily caps, so say when they differ.
        click.echo(
            f"warning: store {body['store_id']} is in time zone {zone} but terminal.timezone is "
            f"{config.terminal.timezone!r}: campaigns are priced in {zone}; set terminal.timezone "
            "to match for shift reports and daily caps"
        )


def write_identification(config: Any, ident: dict[str, Any]) -> list[str]:
    """Keep what the server handed over for offline identification; say what was written.

    Files go where the config names them, else beside the credential, where the agent looks
    by default (``agent.service.identification_files``).
    """
    from agent.service import CPF_SECRET_FILE, QR_KEY_FILE, write_private_file

    said = []
    beside = Path(config.server.credential_file).parent
    secret = ident.get("cpf_hash_secret")
    if secret:
        target = config.identification.cpf_hash_secret_file or beside / CPF_SECRET_FILE
        write_private_file(Path(target), secret.encode("ascii") + b"\n")
        said.append(f"CPF hash secret written to {target} (CPF lookup works at this till)")
    else:
        said.append("the server has no CPF hash secret: CPFs cannot be looked up at this till")
    pem = ident.get("qr_public_key")
    if pem:
        target = config.identification.qr_public_key or beside / QR_KEY_FILE
        write_private_file(Path(target), pem.encode("ascii"))
        said.append(f"QR public key written to {target} (phone QR codes are checked here)")
    prefix = ident.get("card_prefix")
    if prefix and prefix != config.identification.card_prefix:
        said.append(
            f"warning: the chain's card prefix is {prefix!r} but identification.card_prefix is "
            f"{config.identification.card_prefix!r}: members' cards will not be recognised"
        )
    legacy = ident.get("legacy_card_prefixes") or []
    missing = [p for p in legacy if p not in config.identification.legacy_card_prefixes]
    if missing:
        said.append(
            f"warning: the chain declares old card prefixes {missing!r} that "
            "identification.legacy_card_prefixes lacks: imported old cards will not be recognised"
        )
    return said


@click.command("run")
@config_option
@click.option("--log-level", default="INFO", show_default=True)
def run(config_path: Path, log_level: str) -> None:
    """Run the agent: sync, scanner, printer, POS plugin, local status API.

    Stops cleanly on SIGTERM or Ctrl-C.
    """
    from agent.logs import configure
    from agent.service import Agent, settle_heap

    configure(log_level)  # every record scrubbed of personal data and secrets
    config = _config(config_path)
    try:
        agent = Agent(config)
    except LoyaltyError as exc:
        raise click.ClickException(exc.message_en) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        agent.start(plugin=True)
    except LoyaltyError as exc:
        agent.close()
        raise click.ClickException(exc.message_en) from None
    settle_heap()
    port = config.status.local_api_port
    pos = agent.plugin.describe() if agent.plugin is not None else "none"
    click.echo(
        f"agent running for store {config.terminal.store}, terminal {agent.terminal_id}; "
        f"POS plugin {pos}" + (f"; status on http://127.0.0.1:{port}/status" if port else ""),
        err=True,
    )
    stop.wait()
    agent.close()


@click.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(config_path: Path, as_json: bool) -> None:
    """Queue depth, oldest unsent event, last contact, cache age and size, devices."""
    from agent.cache import connect_reader
    from agent.journal import connect_journal
    from agent.status import build_status, format_status

    config = _config(config_path)
    report = _live(config.status.local_api_port)
    if report is None:
        if not Path(config.storage.journal_path).exists():
            raise click.ClickException(f"no journal at {config.storage.journal_path}: never run?")
        journal = connect_journal(config.storage.journal_path)
        cache = (
            connect_reader(config.storage.cache_path)
            if Path(config.storage.cache_path).exists()
            else None
        )
        try:
            report = build_status(config, journal, cache)
        finally:
            journal.close()
            if cache is not None:
                cache.close()
    click.echo(json.dumps(report, indent=2) if as_json else format_status(report))


@click.command("shift-report")
@config_option
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Store day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--lang", default="pt-BR", show_default=True, help="pt-BR or en.")
def shift_report_command(config_path: Path, day: datetime | None, as_json: bool, lang: str) -> None:
    """The day's club figures at this till: member sales, discounts, points, cashback,
    vouchers, raffle numbers, refunds (from the journal: works offline)."""
    from zoneinfo import ZoneInfo

    from agent.journal import connect_journal
    from agent.service import read_credential
    from agent.shift import format_report, shift_report

    config = _config(config_path)
    if not Path(config.storage.journal_path).exists():
        raise click.ClickException(f"no journal at {config.storage.journal_path}: never run?")
    zone = ZoneInfo(config.terminal.timezone)
    the_day = day.date() if day is not None else datetime.now(zone).date()
    try:
        terminal = read_credential(config.server.credential_file).terminal_id
    except LoyaltyError:
        terminal = "-"
    journal = connect_journal(config.storage.journal_path)
    try:
        report = shift_report(
            journal, config.terminal.store, terminal, config.terminal.timezone, the_day
        )
    finally:
        journal.close()
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report, lang))


def _live(port: int) -> dict[str, Any] | None:
    if not port:
        return None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data
    except (OSError, ValueError):
        return None


COMMANDS = (register, run, status, shift_report_command)
