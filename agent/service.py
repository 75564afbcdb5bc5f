"""The running agent: wires config, cache, rules, journal, sale flow, sync and the local API.

:func:`build_agent` makes every part from an :class:`~agent.config.AgentConfig` (no I/O at
import). :meth:`Agent.start` starts the sync worker, the print worker (if a printer is
enabled) and the local JSON status API on 127.0.0.1; :meth:`Agent.stop` stops them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import gc
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from loyalty.identification import IdentificationConfig, load_public_key
from loyalty.money import Money
from loyalty.rewards import CashbackConfig, PointsConfig

from . import clock as agent_clock
from .cache import CacheLookups, Rules, connect_cache, connect_reader
from .cache.card_hash import CardHasher, from_cpf_secret, local_key
from .cache.integrity import CacheDamaged, CacheHealth
from .config import AgentConfig, ConfigError
from .journal import Journal, Outbox, QueueGauge, connect_journal
from .sale import SaleService, SaleSettings
from .sale.slips import SlipQueue, slip_text
from .scan_inbox import ScanInbox
from .status import build_status
from .sync import SyncClient, SyncState, SyncWorker
from .sync.client import AGENT_VERSION

if TYPE_CHECKING:
    from agent.devices.serial_scanner import SerialScanner
    from agent.printing.worker import PrintWorker
    from plugins import PosPlugin

log = logging.getLogger("tillclub.agent")

SCAN_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Credential:
    credential: str = field(repr=False)
    terminal_id: str
    store_id: str


def read_credential(path: Path) -> Credential:
    """:raises ConfigError: missing or unreadable file (run ``tillclub agent register``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Credential(data["credential"], data["terminal_id"], data["store_id"])
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"no usable terminal credential at {path} ({type(exc).__name__}): "
            "run 'tillclub agent register --server URL --code CODE' first",
            f"credencial do terminal ausente em {path}: rode 'tillclub agent register'",
        ) from None


def write_credential(path: Path, cred: Credential) -> None:
    data = {"credential": cred.credential, "terminal_id": cred.terminal_id}
    data["store_id"] = cred.store_id
    write_private_file(path, json.dumps(data).encode("utf-8"))


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (0600), whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _secret(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        raw = Path(path).read_text(encoding="utf-8").strip()
        secret = base64.b64decode(raw, validate=True)
    except (OSError, ValueError, binascii.Error) as exc:
        raise ConfigError(
            f"identification.cpf_hash_secret_file: cannot read base64 secret from {path} "
            f"({type(exc).__name__})",
            f"identification.cpf_hash_secret_file: segredo base64 ilegível em {path}",
        ) from None
    if len(secret) < 16:
        raise ConfigError("identification.cpf_hash_secret_file: secret shorter than 16 bytes")
    return secret


CPF_SECRET_FILE = "cpf-hash.secret"
QR_KEY_FILE = "qr-public-key.pem"


def identification_files(config: AgentConfig) -> tuple[Path | None, Path | None]:
    """The CPF hash secret and QR public key files: as configured, else the ones
    ``tillclub agent register`` wrote beside the credential (``None``: neither)."""
    ident = config.identification
    beside = Path(config.server.credential_file).parent
    secret = ident.cpf_hash_secret_file
    if secret is None and (beside / CPF_SECRET_FILE).exists():
        secret = beside / CPF_SECRET_FILE
    qr = ident.qr_public_key
    if qr is None and (beside / QR_KEY_FILE).exists():
        qr = beside / QR_KEY_FILE
    return secret, qr


def card_hasher(config: AgentConfig) -> CardHasher:
    """The key the cache hashes card numbers with: derived from the CPF hash secret
    delivered at registration, else a till-local random key beside the credential."""
    secret = _secret(identification_files(config)[0])
    if secret is not None:
        return from_cpf_secret(secret)
    return local_key(Path(config.server.credential_file).parent)


def sale_settings(config: AgentConfig, terminal_id: str) -> SaleSettings:
    ident = config.identification
    secret_file, qr_file = identification_files(config)
    key = None
    if qr_file is not None:
        try:
            key = load_public_key(Path(qr_file).read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"identification.qr_public_key: cannot load {qr_file} ({type(exc).__name__})"
            ) from None
    p, cb = config.points, config.cashback
    return SaleSettings(
        store_id=config.terminal.store,
        terminal_id=terminal_id,
        timezone=config.terminal.timezone,
        identification=IdentificationConfig(
            ident.card_prefix,
            key,
            timedelta(seconds=ident.qr_clock_skew_seconds),
            tuple(ident.legacy_card_prefixes),
        ),
        cpf_secret=_secret(secret_file),
        points=PointsConfig(p.per_unit, Money(p.unit_value_brl), p.expiry_months),
        cashback=CashbackConfig(cb.maturation_days, cb.expiry_days, cb.max_share),
        max_redeem_per_sale=Money(config.offline.max_redeem_per_sale_brl),
        max_redeem_per_member_day=Money(config.offline.max_redeem_per_member_day_brl),
        bounds=config.limits.bounds,
    )


class Agent:
    """One till's agent. ``sales`` is the API the POS plugins call."""

    def __init__(self, config: AgentConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        cred = read_credential(config.server.credential_file)
        if cred.store_id != config.terminal.store:
            raise ConfigError(
                f"terminal.store is {config.terminal.store!r} but the credential is for store "
                f"{cred.store_id!r}"
            )
        if config.terminal.terminal not in (None, cred.terminal_id):
            raise ConfigError(
                f"terminal.terminal is {config.terminal.terminal!r} but the credential is for "
                f"{cred.terminal_id!r}"
            )
        self.terminal_id = cred.terminal_id
        self.clock = clock or agent_clock.SYSTEM  # movable by the drill offset file
        self.card_hash = card_hash = card_hasher(config)
        self.cache_conn, self.cache_rebuilt = connect_cache(config.storage.cache_path, card_hash)
        self.journal_conn = connect_journal(config.storage.journal_path)
        self.queue = QueueGauge(self.journal_conn)
        self.journal = Journal(self.journal_conn, self.queue)
        # One health for every reader of the cache: a damaged row found anywhere makes the
        # till sell without loyalty until the sync worker has rebuilt the cache.
        self.cache_health = CacheHealth()
        self.lookups = CacheLookups(self.cache_conn, self.cache_health)
        self.rules = Rules(config.terminal.timezone, config.terminal.store, self.clock)
        self.sync_state = SyncState()
        if self.cache_rebuilt:
            self.sync_state.last_error = self.cache_rebuilt
            self.cache_health.set_aside = "set aside at start-up (cache.sqlite3.corrupt-*)"
            self.cache_health.mark(self.cache_rebuilt)
        try:
            self.rules.rebuild(self.lookups.campaigns(), self.lookups.store_timezone(cred.store_id))
        except CacheDamaged:  # marked damaged: no campaigns until the rebuild
            self.rules.rebuild(())
        self.sales = SaleService(
            sale_settings(config, cred.terminal_id),
            self.lookups,
            self.rules,
            self.journal,
            self.clock,
            on_recorded=self._recorded,
        )
        self._status_conn = connect_journal(config.storage.journal_path)
        self._status_cache = connect_reader(config.storage.cache_path, card_hash)
        self._status_lock = threading.Lock()
        self.client = SyncClient(
            config.server.url, cred.credential, config.server.timeout_seconds, self._status_headers
        )
        self.worker = SyncWorker(
            self.client,
            lambda: connect_journal(config.storage.journal_path),
            lambda: connect_reader(config.storage.cache_path, card_hash),
            interval=config.server.sync_interval_seconds,
            max_backoff=config.server.max_backoff_seconds,
            push_batch=config.server.push_batch,
            pull_page=config.server.pull_page,
            on_campaigns=self._rebuild_rules,
            on_ledger=self.sales.ledger.invalidate,
            health=self.cache_health,
            cache_path=Path(config.storage.cache_path),
            state=self.sync_state,
            queue=self.queue,
            clock=self.clock,
            keep_acknowledged=timedelta(days=config.storage.keep_acknowledged_days),
            snapshot_timeout=(
                config.server.snapshot_timeout_seconds
                if config.server.first_sync_snapshot
                else None
            ),
        )
        self.scans = ScanInbox()
        self.scanner: SerialScanner | None = None
        if config.scanner.url:
            from agent.devices.serial_scanner import ScannerConfig, SerialScanner

            self.scanner = SerialScanner(
                ScannerConfig.from_mapping(config.scanner.model_dump()),
                self.sales.s.identification,
                self.scans.put,
            )
        self.plugin: PosPlugin | None = None
        self.api: ThreadingHTTPServer | None = None
        self.printer: PrintWorker | None = None
        self.slips: SlipQueue | None = None
        if config.printer.enabled:
            from agent.printing.worker import PrinterTarget, PrintWorker

            target = PrinterTarget.from_mapping(
                {"connector": config.printer.connector, "profile": config.printer.profile}
            )
            self.printer = PrintWorker(
                lambda: connect_journal(config.storage.journal_path), {"receipt": target}
            )
            self.slips = SlipQueue(
                lambda: connect_journal(config.storage.journal_path),
                config.terminal.store_label,
                config.printer.language,
                self.printer.notify,
            )

    def slip_text(self, pos_id: str) -> str | None:
        """The loyalty slip of a recorded sale as text, for the POS plugins."""
        with self._status_lock:
            answer = Journal(self._status_conn).sale_answer(pos_id)
        paper = int(self.config.printer.profile.get("paper_mm", 80))
        return slip_text(
            answer, self.config.terminal.store_label, self.config.printer.language, paper
        )

    def start_plugin(self) -> PosPlugin:
        """Start the configured POS plugin on this agent's sale flow (``[pos]`` in the config).

        :raises ConfigError: an unknown plugin, or options it refuses.
        """
        from plugins import load_plugin
        from plugins.registry import PluginNotFound

        try:
            cls = load_plugin(self.config.pos.plugin)
            # A scan and the POS's identify race each other by milliseconds: wait briefly.
            scans = functools.partial(self.scans.take, wait=SCAN_WAIT_SECONDS)
            self.plugin = cls(self.sales, self.config.pos.options, self.slip_text, scans)
        except (PluginNotFound, ValueError) as exc:
            raise ConfigError(f"pos: {exc}", f"pos: {exc}") from None
        self.plugin.start()
        log.info("POS plugin started", extra={"plugin": self.plugin.describe()})
        return self.plugin

    def _rebuild_rules(self, conn: sqlite3.Connection) -> None:
        # After a pull that touched campaigns or this store's record (its time zone).
        found = CacheLookups(conn, self.cache_health)
        try:
            campaigns = found.campaigns()
            zone = found.store_timezone(self.config.terminal.store)
        except CacheDamaged:  # the worker rebuilds the cache, then calls this again
            return
        self.rules.rebuild(campaigns, zone)

    def _recorded(self, answer: dict[str, Any]) -> None:
        self.worker.sale_recorded()
        if self.slips is not None:
            self.slips.submit(answer)

    def _status_headers(self) -> dict[str, str]:
        # Sent with every sync request: only what is cheap (no count over the outbox or the
        # million cached members that the full status reads).
        with self._status_lock:
            oldest = Outbox(self._status_conn).oldest_created_at()
        age = 0 if oldest is None else round(max(0.0, time.time() - oldest), 1)
        # One line of printable ASCII: a reason with a newline in it (SQLite's check reports
        # have them) is an invalid header, and every sync request would fail on it.
        error = " ".join((self.sync_state.last_error or "").split())[:200]
        return {
            "X-Tillclub-Agent-Version": AGENT_VERSION,
            "X-Tillclub-Queue-Depth": str(self.queue.pending),
            "X-Tillclub-Oldest-Event-Age": str(age),
            "X-Tillclub-Last-Error": error.encode("ascii", "replace").decode(),
        }

    def status(self) -> dict[str, Any]:
        with self._status_lock:
            report = build_status(
                self.config,
                self._status_conn,
                self._status_cache,
                self.sync_state,
                self.devices(),
                running=self.running,
                depth=self.queue.pending,
                health=self.cache_health,
            )
        report["terminal_id"] = self.terminal_id
        report["campaigns"] = self.rules.summary()
        if self.rules.error:
            report["warnings"].append(self.rules.error)
        if self.rules.warning:
            report["warnings"].append(self.rules.warning)
        return report

    def shift_report(self, day: str | None = None) -> dict[str, Any]:
        """The club figures of ``day`` (ISO date; default today in the store's time zone).

        :raises ValueError: ``day`` is not an ISO date.
        """
        from zoneinfo import ZoneInfo

        from .shift import shift_report

        tz = self.config.terminal.timezone
        the_day = date.fromisoformat(day) if day else self.clock().astimezone(ZoneInfo(tz)).date()
        with self._status_lock:
            report = shift_report(
                self._status_conn, self.config.terminal.store, self.terminal_id, tz, the_day
            )
        return report.to_dict()

    @property
    def running(self) -> bool:
        return self.worker._thread is not None and self.worker._thread.is_alive()

    def devices(self) -> dict[str, Any]:
        printer: Any = "not configured"
        if self.printer is not None:
            printer = [
                {"name": h.name, "where": h.where, "online": h.online, "last_error": h.last_error}
                for h in self.printer.health()
            ]
        scanner: Any = "keyboard wedge only"
        if self.scanner is not None:
            st = self.scanner.status()
            scanner = {
                "url": st.url,
                "connected": st.connected,
                "accepted": st.accepted,
                "rejected": st.rejected,
                "last_error": st.last_error,
            }
        return {"printer": printer, "scanner": scanner}

    def start(self, *, sync: bool = True, plugin: bool = False) -> None:
        """Start the background parts: sync worker, scanner, POS plugin, printer, status API."""
        if sync:
            # The sync worker checkpoints the WAL after each round, on its own connection, so
            # a sale's commit never pays for copying the WAL into the database (that stall
            # landed inside about one sale in eighty: the finalise p99).
            self.journal_conn.execute("PRAGMA wal_autocheckpoint=0")
            self.worker.start()
        if self.scanner is not None:
            self.scanner.start()
        if plugin:
            self.start_plugin()
        if self.printer is not None and self.slips is not None:
            self.printer.start()
            self.slips.start()
        port = self.config.status.local_api_port
        if port:
            self.api = serve_status(self, port)

    def stop(self) -> None:
        if self.plugin is not None:
            self.plugin.stop()
            self.plugin = None
        if self.scanner is not None:
            self.scanner.stop()
        self.worker.stop()
        with contextlib.suppress(sqlite3.ProgrammingError):  # already closed: nothing to do
            self.journal_conn.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default
        if self.slips is not None:
            self.slips.stop()
        if self.printer is not None:
            self.printer.stop()
        if self.api is not None:
            self.api.shutdown()
            self.api.server_close()
            self.api = None

    def close(self) -> None:
        """Stop, then close this agent's own connections (the worker closes its own)."""
        self.stop()
        self.client.close()
        for conn in (self.cache_conn, self.journal_conn, self._status_conn, self._status_cache):
            conn.close()


def serve_status(agent: Agent, port: int) -> ThreadingHTTPServer:
    """The local JSON API on 127.0.0.1 (never another interface): ``GET /status`` and
    ``GET /shift[?day=YYYY-MM-DD]`` (the day's club figures, :mod:`agent.shift`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            route = url.path.rstrip("/")
            if route == "/status":
                self._send(200, agent.status())
            elif route == "/shift":
                day = parse_qs(url.query).get("day", [None])[0]
                try:
                    self._send(200, agent.shift_report(day))
                except ValueError:
                    self._send(400, {"error": f"day must be YYYY-MM-DD, got {day!r}"})
            else:
                self._send(404, {"error": "not found"})

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("local api: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="tillclub-local-api", daemon=True).start()
    return server


def settle_heap() -> None:
    """Move everything the agent made at start-up out of the garbage collector's reach.

    The till process is long-lived and its start-up objects (modules, config, cached rules)
    live as long as it does; a full collection walking them all took 25-30 ms here, landing
    inside a finalise about once in two thousand sales. ``gc.freeze`` leaves them alone.
    """
    gc.collect()
    gc.freeze()
