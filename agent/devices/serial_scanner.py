"""A serial barcode/QR scanner read in a background thread that never blocks the till.

The port is opened with ``serial.serial_for_url(config.url)``, so the config may name
``/dev/ttyUSB0``, ``COM3``, ``loop://``, ``socket://host:port`` or ``spy://…``. When the port
disappears (USB unplugged, socat killed) the thread closes it, drops the half-read code as a
partial read, and tries to reopen it with backoff until the device comes back. Every read
goes through ``reads.interpret`` (so through ``loyalty.identification.identify``) and the
result is handed to the callback, or put on ``scanner.results`` when there is none.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import serial

from loyalty.identification import IdentificationConfig, identify

from .errors import ScannerConfigError
from .framing import Framer, Suffix
from .reads import Accepted, IdentifyFn, ScanResult, ScanSource, interpret

log = logging.getLogger(__name__)

# How long one read() may block: bounds how late stop() and the inter-character timeout are.
READ_SLICE = 0.02
_PARITIES = {"N", "E", "O", "M", "S"}
_BYTESIZES = {5, 6, 7, 8}
_STOPBITS = {1, 1.5, 2}


@dataclass(frozen=True)
class ScannerConfig:
    """The ``scanner`` section of the agent config (all keys but ``url`` optional)."""

    url: str
    baudrate: int = 9600
    parity: str = "N"
    bytesize: int = 8
    stopbits: float = 1
    suffix: Suffix = Suffix.CR
    inter_char_timeout: float = 0.1
    max_length: int = 512
    reconnect_max: float = 2.0

    def __post_init__(self) -> None:
        def bad(key: str, value: object, allowed: str) -> ScannerConfigError:
            return ScannerConfigError(
                f"scanner.{key} must be {allowed}; got {value!r}",
                f"scanner.{key} deve ser {allowed}; recebido {value!r}",
            )

        if not isinstance(self.url, str) or not self.url.strip():
            raise bad("url", self.url, "a port name or pyserial URL")
        if isinstance(self.baudrate, bool) or not isinstance(self.baudrate, int):
            raise bad("baudrate", self.baudrate, "an integer")
        if not 50 <= self.baudrate <= 4_000_000:
            raise bad("baudrate", self.baudrate, "between 50 and 4000000")
        if self.parity not in _PARITIES:
            raise bad("parity", self.parity, "one of N, E, O, M, S")
        if self.bytesize not in _BYTESIZES:
            raise bad("bytesize", self.bytesize, "5, 6, 7 or 8")
        if self.stopbits not in _STOPBITS:
            raise bad("stopbits", self.stopbits, "1, 1.5 or 2")
        if not self.reconnect_max > 0:
            raise bad("reconnect_max", self.reconnect_max, "> 0 seconds")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ScannerConfig:
        """Build from the config file's ``scanner`` table; unknown keys are an error.

        ``idle_ms`` (milliseconds, as in ``config/agent.example.toml``) is accepted for
        ``inter_char_timeout`` (seconds).
        """
        data = dict(data)
        if "idle_ms" in data:
            idle = data.pop("idle_ms")
            if isinstance(idle, bool) or not isinstance(idle, int | float) or idle <= 0:
                raise ScannerConfigError(
                    f"scanner.idle_ms must be a number of milliseconds > 0; got {idle!r}",
                    f"scanner.idle_ms deve ser milissegundos > 0; recebido {idle!r}",
                )
            data["inter_char_timeout"] = idle / 1000
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScannerConfigError(
                f"unknown scanner setting(s): {', '.join(unknown)}",
                f"configuração de leitor desconhecida: {', '.join(unknown)}",
            )
        values = dict(data)
        if "suffix" in values:
            values["suffix"] = Suffix.parse(values["suffix"])
        if isinstance(values.get("parity"), str):
            values["parity"] = values["parity"].upper()[:1]
        return cls(**values)


@dataclass(frozen=True)
class ScannerStatus:
    """What the agent status shows about the scanner."""

    url: str
    connected: bool
    accepted: int = 0
    rejected: int = 0
    reconnects: int = 0
    last_error: str = ""
    last_read_at: datetime | None = None


OpenPort = Callable[..., Any]


class SerialScanner:
    """Read codes from a serial scanner in a daemon thread.

    :param config: the port and framing settings.
    :param identification: what tells member codes apart (card prefix, QR public key).
    :param on_result: called in the scanner thread with each ``Accepted``/``Rejected``; keep it
        short (put the result on your own queue). ``None`` puts results on ``self.results``.
    :param open_port: how to open the port; ``serial.serial_for_url`` unless a test says so.
    """

    def __init__(
        self,
        config: ScannerConfig,
        identification: IdentificationConfig,
        on_result: Callable[[ScanResult], None] | None = None,
        *,
        identify_fn: IdentifyFn = identify,
        open_port: OpenPort = serial.serial_for_url,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.identification = identification
        self.results: queue.Queue[ScanResult] = queue.Queue()
        self._on_result = on_result or self.results.put
        self._identify = identify_fn
        self._open_port = open_port
        self._clock = clock
        self._wall_clock = wall_clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status = ScannerStatus(url=config.url, connected=False)

    def start(self) -> None:
        """Start the reader thread; returns at once, whether or not the port opens."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tillclub-scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def status(self) -> ScannerStatus:
        with self._lock:
            return self._status

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _run(self) -> None:
        cfg = self.config
        framer = Framer(cfg.suffix, cfg.inter_char_timeout, cfg.max_length)
        port: Any = None
        backoff = 0.05
        ever_connected = False
        while not self._stop.is_set():
            if port is None:
                try:
                    port = self._open_port(
                        cfg.url,
                        baudrate=cfg.baudrate,
                        parity=cfg.parity,
                        bytesize=cfg.bytesize,
                        stopbits=cfg.stopbits,
                        timeout=READ_SLICE,
                    )
                except (serial.SerialException, OSError, ValueError) as exc:
                    self._update(connected=False, last_error=f"cannot open {cfg.url}: {exc}")
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, cfg.reconnect_max)
                    continue
                backoff = 0.05
                reconnects = self.status().reconnects + (1 if ever_connected else 0)
                ever_connected = True
                self._update(connected=True, last_error="", reconnects=reconnects)
                log.info("scanner %s connected", cfg.url)
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                # Unplugged: whatever was half-read is partial, never glued to a later read.
                self._deliver(framer.flush())
                _close_quietly(port)
                port = None
                self._update(connected=False, last_error=f"{cfg.url} lost: {exc}")
                log.warning("scanner %s lost: %s", cfg.url, exc)
                continue
            now = self._clock()
            self._deliver(framer.feed(data, now) if data else framer.poll(now))
        if port is not None:
            _close_quietly(port)
        self._update(connected=False)

    def _deliver(self, frames: list[Any]) -> None:
        for frame in frames:
            result = interpret(
                frame,
                ScanSource.SERIAL,
                self.identification,
                self._wall_clock(),
                identify_fn=self._identify,
            )
            with self._lock:
                field = "accepted" if isinstance(result, Accepted) else "rejected"
                self._status = replace(
                    self._status,
                    **{field: getattr(self._status, field) + 1},
                    last_read_at=self._wall_clock(),
                )
            try:
                self._on_result(result)
            except Exception:  # a broken callback must not kill the scanner
                log.exception("scanner callback failed")


def _close_quietly(port: Any) -> None:
    try:
        port.close()
    except (serial.SerialException, OSError):
        pass
