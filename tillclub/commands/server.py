"""``tillclub server …``: configure, migrate, run the central server and manage terminals.

Every subcommand reads the same configuration as the server: ``--config FILE`` (or
``$TILLCLUB_SERVER_CONFIG``) plus ``TILLCLUB_SERVER_*`` variables.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

DEFAULT_LOCAL_CONFIG = "tillclub-server.toml"


def _load(ctx: click.Context) -> dict[str, Any]:
    from server.config import ConfigError, check_secrets, load_config

    try:
        config = load_config(ctx.obj.get("config_path"))
        check_secrets(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return config


def _app(ctx: click.Context) -> Any:
    from server import create_app
    from server.config import ConfigError

    try:
        return create_app(_load(ctx))
    except ConfigError as exc:  # e.g. a broken [jobs.*] schedule: name the key, no traceback
        raise click.ClickException(str(exc)) from None


def _uow(ctx: click.Context) -> Any:
    from server.services.uow import SqlUnitOfWork

    return SqlUnitOfWork.for_app(_app(ctx))


@click.group(name="server")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TILLCLUB_SERVER_CONFIG",
    help="Server config file (TOML). Default: $TILLCLUB_SERVER_CONFIG.",
)
@click.pass_context
def command(ctx: click.Context, config_path: Path | None) -> None:
    """Run and administer the central server."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@command.command("init-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", default="sqlite:///tillclub-server.db", show_default=True)
def init_config(path: Path, database_url: str) -> None:
    """Write a new config file at PATH with freshly generated secrets (mode 600)."""
    from server.config import write_new_config

    try:
        write_new_config(path, database_url)
    except FileExistsError:
        raise click.ClickException(f"{path} exists already; not overwriting its secrets") from None
    click.echo(f"wrote {path}; keep it secret. Next: tillclub server --config {path} init-db")


@command.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create or upgrade the database schema to the latest migration."""
    from server.migrate import head_revision, upgrade

    config = _load(ctx)
    upgrade(config["DATABASE_URL"])
    click.echo(f"database at revision {head_revision()}")


@command.command("add-store")
@click.argument("store_id")
@click.argument("name")
@click.option(
    "--timezone",
    "zone",
    default=None,
    metavar="IANA_ZONE",
    help="The store's time zone, e.g. America/Manaus (default: the chain's chain_time_zone).",
)
@click.pass_context
def add_store(ctx: click.Context, store_id: str, name: str, zone: str | None) -> None:
    """Add a store (STORE_ID: 1-32 of A-Z a-z 0-9 _ -)."""
    from server.services.terminals import TerminalError
    from server.services.terminals import add_store as add
    from server.services.uow import SqlUnitOfWork

    app = _app(ctx)
    zone = zone or str(app.config["CHAIN_TIME_ZONE"])
    try:
        add(SqlUnitOfWork.for_app(app), store_id, name, timezone=zone)
    except TerminalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"store {store_id} added (time zone {zone})")


@command.command("set-store-timezone")
@click.argument("store_id")
@click.argument("zone", metavar="IANA_ZONE")
@click.pass_context
def set_store_timezone(ctx: click.Context, store_id: str, zone: str) -> None:
    """Set STORE_ID's time zone (e.g. America/Manaus); its tills take it on their next sync."""
    from server.services.terminals import TerminalError
    from server.services.terminals import set_store_timezone as set_zone

    try:
        changed = set_zone(_uow(ctx), store_id, zone)
    except TerminalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"store {store_id}: time zone {zone}" + ("" if changed else " (unchanged)"))


@command.command("new-epoch")
@click.option(
    "--reason",
    required=True,
    help='Why, for Sync issues and the audit log, e.g. "restored backup of 2026-12-07 03:00".',
)
@click.pass_context
def new_epoch(ctx: click.Context, reason: str) -> None:
    """Start a new database epoch: run it after every restore or fail-over, before the server
    takes traffic again. Every till then pushes again the events it still holds (the server
    applies each once) and takes a new snapshot of its cache (docs/operations.md)."""
    from server.services.epochs import start_new_epoch

    epoch = start_new_epoch(_uow(ctx), reason)
    click.echo(
        f"epoch {epoch.epoch} started (database {epoch.database_id}, change counter "
        f"{epoch.counter_at_start}); tills re-push and re-snapshot at their next sync"
    )


@command.command("epoch")
@click.pass_context
def show_epoch(ctx: click.Context) -> None:
    """Print the database identity and current epoch (JSON)."""
    from server.services.epochs import ensure_epoch

    epoch = ensure_epoch(_uow(ctx))
    click.echo(
        json.dumps(
            {
                "epoch": epoch.epoch,
                "database_id": epoch.database_id,
                "started_at": epoch.started_at.isoformat(),
                "source": epoch.source,
                "reason": epoch.reason,
            }
        )
    )


@command.command("register-terminal")
@click.argument("store_id")
@click.argument("name")
@click.pass_context
def register_terminal(ctx: click.Context, store_id: str, name: str) -> None:
    """Register a terminal of STORE_ID and print its one-time registration code."""
    from server.services.terminals import TerminalError
    from server.services.terminals import register_terminal as register

    app = _app(ctx)
    from server.services.uow import SqlUnitOfWork

    try:
        reg = register(
            SqlUnitOfWork.for_app(app),
            store_id,
            name,
            ttl_hours=app.config["REGISTRATION_CODE_TTL_HOURS"],
        )
    except TerminalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"terminal {reg.terminal_id} registered at store {reg.store_id}", err=True)
    click.echo(f"registration code (one use, until {reg.expires_at:%Y-%m-%d %H:%M} UTC):", err=True)
    click.echo(reg.registration_code)


@command.command("revoke-terminal")
@click.argument("terminal_id")
@click.pass_context
def revoke_terminal(ctx: click.Context, terminal_id: str) -> None:
    """Revoke TERMINAL_ID: every call with its credential gets 401 from now on."""
    from server.services.terminals import TerminalError
    from server.services.terminals import revoke_terminal as revoke

    try:
        revoke(_uow(ctx), terminal_id)
    except TerminalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"terminal {terminal_id} revoked")


@command.command("assign-raffle-block")
@click.argument("raffle_id")
@click.argument("terminal_id")
@click.option("--size", default=1000, show_default=True, help="Positions in the block.")
@click.pass_context
def assign_raffle_block(ctx: click.Context, raffle_id: str, terminal_id: str, size: int) -> None:
    """Reserve the next SIZE raffle numbers of RAFFLE_ID for TERMINAL_ID (synced to the till)."""
    from loyalty.errors import LoyaltyError
    from server.services.raffle import RaffleServiceError, assign_terminal_block

    try:
        block_id, start, got = assign_terminal_block(_uow(ctx), raffle_id, terminal_id, size)
    except (RaffleServiceError, LoyaltyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"block {block_id}: positions {start}-{start + got - 1} for {terminal_id}")


@command.command("list-terminals")
@click.pass_context
def list_terminals(ctx: click.Context) -> None:
    """List terminals as JSON lines (id, store, name, status, last seen)."""
    from server.services.terminals import list_terminals as terminals

    with _uow(ctx).reading() as s:
        for t in terminals(s):
            click.echo(
                json.dumps(
                    {
                        "terminal_id": t.id,
                        "store_id": t.store_id,
                        "name": t.name,
                        "status": t.status.value,
                        "last_seen_at": t.last_seen_at.isoformat() if t.last_seen_at else None,
                    }
                )
            )


@command.command("import-campaign")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "campaign_id", required=True, help="Campaign id.")
@click.option("--name", default=None, help="Campaign name (default: the id).")
@click.option("--store", "stores", multiple=True, help="Limit to these stores (default: all).")
@click.option(
    "--replace",
    is_flag=True,
    help="Allow replacing the rules of a campaign that exists (draft or published).",
)
@click.option(
    "--publish",
    is_flag=True,
    help="After importing, simulate on last month's sales and publish, as the web does.",
)
@click.pass_context
def import_campaign(
    ctx: click.Context,
    path: Path,
    campaign_id: str,
    name: str | None,
    stores: tuple[str, ...],
    replace: bool,
    publish: bool,
) -> None:
    """Import a campaign file (JSON, the campaign format) into the campaign's draft.

    Agents see nothing until the draft is published: in the head-office UI after its
    simulation, or here with --publish. Amounts are read as exact decimals, never floats.
    """
    from decimal import Decimal

    from server import clock
    from server.services.campaign_import import (
        SimulationSettings,
        WouldReplace,
        import_campaign,
        last_month,
    )
    from server.services.campaigns import CampaignFormError
    from server.services.uow import SqlUnitOfWork

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read campaign file {path}: {exc}") from None
    app = _app(ctx)
    now = clock.now()
    settings = None
    if publish:
        start, end = last_month(now.date())
        settings = SimulationSettings(
            start,
            end,
            point_value=Decimal(str(app.config["ADMIN_POINT_VALUE"])),
            max_sales=int(app.config["ADMIN_SIMULATION_MAX_SALES"]),
        )
    try:
        result = import_campaign(
            SqlUnitOfWork.for_app(app),
            campaign_id,
            name or campaign_id,
            text,
            actor="cli",
            now=now,
            stores=list(stores) or None,
            replace=replace,
            publish=settings,
        )
    except WouldReplace as exc:
        old = exc.existing
        where = "draft" if old.from_draft else f"published version {old.published_version}"
        ids = ", ".join(r.id for r in old.rules) or "none"
        raise click.ClickException(
            f"campaign {campaign_id} exists ({where}; rules: {ids}); "
            "pass --replace to replace its rules"
        ) from None
    except CampaignFormError as exc:
        raise click.ClickException(f"{path}: {exc.message_en}") from None
    n = len(result.rules)
    if result.published_version is not None:
        sim = result.simulation or {}
        click.echo(
            f"campaign {campaign_id}: {n} rules imported, simulated on {sim.get('sales', 0)} "
            f"sales (cost {sim.get('total_cost', '0.00')}), published as version "
            f"{result.published_version}"
        )
    else:
        click.echo(
            f"campaign {campaign_id}: {n} rules imported into the draft; simulate and "
            "publish it in the head-office UI, or import again with --replace --publish"
        )


@command.command("import-products")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_products(ctx: click.Context, path: Path) -> None:
    """Import the product catalogue (UTF-8 CSV: sku,name,category,brand[,active]).

    A file with any bad row is rejected whole (each bad line listed); products sync to the
    agents, which then refuse unknown SKUs and print product names.
    """
    from server.services.products import ProductImportError, import_products, parse_products_csv

    try:
        rows = parse_products_csv(path.read_bytes())
        result = import_products(_uow(ctx), rows)
    except OSError as exc:
        raise click.ClickException(f"cannot read product file {path}: {exc}") from None
    except ProductImportError as exc:
        raise click.ClickException(f"{path}: {exc.message_en}") from None
    click.echo(
        f"{len(rows)} products: {result.created} new, {result.updated} changed, "
        f"{result.unchanged} unchanged"
    )


@command.command("set-tier-ladder")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def set_tier_ladder(ctx: click.Context, path: Path) -> None:
    """Store the chain's tier ladder from a JSON file (checked first; audited).

    The file is ``{"window_months": 12, "review_every_months": 1, "tiers": [{"name":
    "classic", "threshold": "0"}, {"name": "gold", "threshold": "2000.00"}]}``; members move
    at the next ``review-tiers`` run.
    """
    from loyalty.l10n import format_plain
    from server.clock import now as utcnow
    from server.services.tiers import TierLadderError, set_ladder

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        config = set_ladder(_uow(ctx), value, actor="cli", now=utcnow())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, TierLadderError):
            raise click.ClickException(f"{path}: {exc}") from None
        raise click.ClickException(f"cannot read tier ladder file {path}: {exc}") from None
    steps = ", ".join(f"{t.name} {format_plain(t.threshold)}" for t in config.tiers)
    click.echo(f"tier ladder stored: {steps}")


@command.command("review-tiers")
@click.option(
    "--at",
    "at_text",
    default=None,
    help="Review as of this ISO-8601 instant with a time zone (default: now).",
)
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1))
@click.pass_context
def review_tiers(ctx: click.Context, at_text: str | None, batch_size: int) -> None:
    """Give every member the tier of the chain's ladder and sync changes to the tills.

    Meant for a nightly cron: upgrades at once, downgrades only at each member's periodic
    review (``review_every_months``). Prints a JSON line of counts.
    """
    import datetime as dt

    from server.clock import now as utcnow
    from server.services.tiers import TierLadderError
    from server.services.tiers import review_tiers as run

    at = utcnow()
    if at_text is not None:
        try:
            at = dt.datetime.fromisoformat(at_text)
        except ValueError:
            raise click.BadParameter(f"not an ISO-8601 date-time: {at_text!r}") from None
        if at.tzinfo is None:
            raise click.BadParameter(f"needs a time zone, e.g. -03:00: {at_text!r}")
    try:
        result = run(_uow(ctx), at, batch_size=batch_size)
    except TierLadderError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"at": at.isoformat(), **result.as_dict()}))


@command.command("openapi")
def openapi() -> None:
    """Print the sync API's OpenAPI document."""
    from server.api.openapi import rendered

    sys.stdout.write(rendered())


@command.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Flask debug mode (never in production).")
@click.option(
    "--no-worker", is_flag=True, help="Do not start the background job worker with the server."
)
@click.pass_context
def run(ctx: click.Context, host: str, port: int, debug: bool, no_worker: bool) -> None:
    """Serve with Flask's development server (SQLite by default), and the job worker.

    Without --config (or TILLCLUB_SERVER_* secrets) it creates ./tillclub-server.toml with
    new secrets and serves ./tillclub-server.db. The background worker (``tillclub server
    worker``) runs as a child process and stops with the server. For production (gunicorn on
    PostgreSQL) see server/README.md and docs/operations.md.
    """
    import os

    from server.config import DEFAULTS, ENV_PREFIX, write_new_config
    from server.migrate import upgrade

    if ctx.obj.get("config_path") is None and f"{ENV_PREFIX}SECRET_KEY" not in os.environ:
        # No configuration at all: a single shop or the demo. Keep a local config with
        # generated secrets next to the SQLite file, made once and reused.
        local = Path(DEFAULT_LOCAL_CONFIG)
        if not local.exists():
            write_new_config(local, DEFAULTS["DATABASE_URL"])
            click.echo(
                f"created {local} with new secrets (SQLite: {DEFAULTS['DATABASE_URL']})", err=True
            )
        ctx.obj["config_path"] = local
    config = _load(ctx)
    if config["DATABASE_URL"].startswith("sqlite"):
        upgrade(config["DATABASE_URL"])  # a single shop: migrate on start, nothing to forget
    app = _app(ctx)  # checks the whole config (schedules too) before anything starts
    import signal

    # SIGTERM to the server runs the finally below, which stops the worker.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker = None if no_worker else _start_worker(ctx)
    try:
        app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)
    finally:
        if worker is not None:
            _stop_worker(worker)
        signal.signal(signal.SIGTERM, previous)


def _start_worker(ctx: click.Context) -> Any:
    import os
    import subprocess

    # The leash (PR_SET_PDEATHSIG) stops the worker even when the server dies by SIGKILL.
    argv = [sys.executable, "-m", "tillclub.demo.leash", str(os.getpid()), "--"]
    argv += [sys.executable, "-c", "from tillclub.cli import main; main()", "server"]
    argv += ["--config", str(ctx.obj["config_path"])] if ctx.obj.get("config_path") else []
    click.echo("starting the background job worker", err=True)
    return subprocess.Popen([*argv, "worker"], stdin=subprocess.DEVNULL)


def _stop_worker(worker: Any) -> None:
    import subprocess

    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


def _attach_area_commands() -> None:
    # Other areas (head-office UI, portal) ship their server subcommands in their own modules;
    # they join this group here so they read the same --config and environment.
    from .server_export import export
    from .server_import import import_group
    from .server_jobs import jobs, worker

    command.add_command(worker)
    command.add_command(jobs)
    command.add_command(export)
    command.add_command(import_group)
    try:
        from .server_admin import create_admin, set_admin_password
    except (ImportError, AttributeError):
        return
    command.add_command(create_admin)
    command.add_command(set_admin_password)


_attach_area_commands()
