"""The print worker: a background thread that drains the print queue to the printers.

Per printer, jobs print in the order they were queued: the worker tries the oldest job, and
while it waits for a retry the jobs behind it wait too (a slip never overtakes the one
before it). A job is ``done`` only after ``connectors.send`` returned, i.e. the whole payload
was written; a printer that refuses, is off or out of paper leaves it queued. The sale flow
never waits for this thread: it enqueues and calls ``notify()``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import connectors
from .connectors import ConnectorConfig
from .document import Document
from .errors import PrintConfigError, PrinterError, TemplateError
from .escpos_render import render
from .profiles import PrinterProfile
from .queue import PrintJob, PrintQueue, ensure_schema
from .templates import TEMPLATES_DIR, normalize_lang, render_template

log = logging.getLogger(__name__)

REPRINT_BANNER = {"pt-BR": "*** 2ª VIA ***", "en": "*** REPRINT ***"}
Send = Callable[[ConnectorConfig, PrinterProfile, bytes], None]


@dataclass(frozen=True)
class PrinterTarget:
    """One configured printer: where it is and how it lays out a slip."""

    connector: ConnectorConfig
    profile: PrinterProfile

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PrinterTarget:
        """From ``{"connector": {...}, "profile": {...}}`` (the ``printers.<name>`` table)."""
        if "connector" not in data:
            raise PrintConfigError(
                "printer needs a 'connector' table", "impressora precisa da tabela 'connector'"
            )
        return cls(
            ConnectorConfig.from_mapping(data["connector"]),
            PrinterProfile.from_mapping(data.get("profile", {})),
        )


@dataclass(frozen=True)
class PrinterHealth:
    """What the worker last saw of one printer."""

    name: str
    where: str
    online: bool | None = None  # None: not tried yet
    last_error: str = ""
    last_ok_at: datetime | None = None


def submit(
    queue: PrintQueue,
    *,
    sale_id: str,
    template: str,
    data: Mapping[str, Any],
    now: datetime,
    lang: str = "pt-BR",
    printer: str = "receipt",
    profile: PrinterProfile | None = None,
    templates_dir: Path = TEMPLATES_DIR,
) -> int:
    """Render ``template`` and enqueue it inside the caller's transaction.

    Rendering (and a trial ESC/POS render with ``profile``) happens here, so bad data or a
    barcode too wide for the paper is an error at the till, not a job that can never print.

    :raises TemplateError: for missing data or a document the printer cannot print.
    """
    lang = normalize_lang(lang)
    document = render_template(template, data, lang, templates_dir)
    if profile is not None:
        render(document, profile)
    return queue.enqueue(sale_id, template, document, now, lang=lang, printer=printer)


def payload_for(job: PrintJob, profile: PrinterProfile) -> bytes:
    """The bytes of ``job`` for ``profile``; a reprint carries a banner on top."""
    document: Document = job.document
    if job.reprint_of is not None:
        document = document.with_banner(REPRINT_BANNER.get(job.lang, REPRINT_BANNER["en"]))
    return render(document, profile)


class PrintWorker:
    """Drain the queue in a daemon thread.

    :param connect_db: opens the agent's journal; called in the worker thread (SQLite
        connections belong to the thread that made them).
    :param printers: the configured printers by name (``receipt`` is the default name).
    :param send: how bytes reach a printer; ``connectors.send`` unless a test says so.
    :param stale_after: a job still queued this long after it was made is ``expired`` instead
        of printed (``None``: print however late). Reprints count from the reprint request.
    """

    def __init__(
        self,
        connect_db: Callable[[], sqlite3.Connection],
        printers: Mapping[str, PrinterTarget],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_interval: float = 1.0,
        send: Send = connectors.send,
        backoff_base: float = 2.0,
        backoff_cap: float = 60.0,
        stale_after: timedelta | None = None,
    ) -> None:
        self.connect_db = connect_db
        self.printers = dict(printers)
        self.clock = clock
        self.poll_interval = poll_interval
        self.send = send
        self.backoff = (backoff_base, backoff_cap)
        self.stale_after = stale_after
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._health = {
            name: PrinterHealth(name, target.connector.describe())
            for name, target in self.printers.items()
        }

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tillclub-printer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def notify(self) -> None:
        """A job was committed: look at the queue now rather than at the next poll."""
        self._wake.set()

    def health(self) -> list[PrinterHealth]:
        with self._lock:
            return [self._health[name] for name in sorted(self._health)]

    def _set_health(self, name: str, **changes: Any) -> None:
        with self._lock:
            current = self._health.get(name) or PrinterHealth(name, "not configured")
            self._health[name] = replace(current, **changes)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    if conn is None:
                        conn = self.connect_db()
                        ensure_schema(conn)
                    queue = PrintQueue(
                        conn, backoff_base=self.backoff[0], backoff_cap=self.backoff[1]
                    )
                    self.run_once(queue)
                except sqlite3.Error:
                    # A locked or unreachable journal costs a print delay, never the thread.
                    log.exception("print queue unavailable; retrying")
                self._wake.wait(self.poll_interval)
        finally:
            if conn is not None:
                conn.close()

    def status(self, queue: PrintQueue) -> dict[str, Any]:
        """The printing part of the agent status, ready for JSON."""
        q = queue.status()

        def iso(when: datetime | None) -> str | None:
            return None if when is None else when.isoformat()

        return {
            "queue": {
                "queued": q.queued,
                "retrying": q.retrying,
                "failed": q.failed,
                "expired": q.expired,
                "oldest_queued_at": iso(q.oldest_queued_at),
                "last_printed_at": iso(q.last_printed_at),
                "last_error": q.last_error,
            },
            "printers": [
                {
                    "name": h.name,
                    "where": h.where,
                    "online": h.online,
                    "last_error": h.last_error,
                    "last_ok_at": iso(h.last_ok_at),
                }
                for h in self.health()
            ],
        }

    def run_once(self, queue: PrintQueue) -> int:
        """One pass over every printer's queue; returns how many jobs printed."""
        printed = 0
        for name in queue.printers_with_work():
            for job in queue.pending(name):
                now = self.clock()
                if self.stale_after is not None and now - job.created_at > self.stale_after:
                    queue.mark_expired(job.id, now)
                    continue
                if job.next_attempt_at > now:
                    break  # the head job waits for its retry, and the rest wait behind it
                outcome = self._print(queue, job, now)
                if outcome == "done":
                    printed += 1
                elif outcome == "retry":
                    break
        return printed

    def _print(self, queue: PrintQueue, job: PrintJob, now: datetime) -> str:
        target = self.printers.get(job.printer)
        if target is None:
            queue.mark_retry(job.id, f"no printer named {job.printer!r} is configured", now)
            self._set_health(job.printer, online=False, last_error="not configured")
            return "retry"
        try:
            payload = payload_for(job, target.profile)
        except TemplateError as exc:
            queue.mark_failed(job.id, f"cannot render: {exc}", now)
            return "failed"
        try:
            self.send(target.connector, target.profile, payload)
        except PrinterError as exc:
            due = queue.mark_retry(job.id, str(exc), now)
            self._set_health(job.printer, online=False, last_error=str(exc))
            log.warning("print job %s kept queued until %s: %s", job.id, due.isoformat(), exc)
            return "retry"
        queue.mark_done(job.id, self.clock())
        self._set_health(job.printer, online=True, last_error="", last_ok_at=self.clock())
        return "done"
