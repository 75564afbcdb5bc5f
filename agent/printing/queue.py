"""The durable print queue, in the agent's own SQLite journal.

A sale enqueues its slips and goes on: the INSERT is part of the caller's transaction (commit
the sale and its slips together), and nothing here touches a printer. The worker takes jobs in
order per printer, marks one ``done`` only after the whole payload was sent, and on failure
keeps it ``queued`` with a growing delay (2 s, 4 s, 8 s … 60 s). Jobs survive a restart
because they are rows. A job whose document cannot be rendered is ``failed`` (retrying would
not help); one still queued past the worker's ``stale_after`` is ``expired`` (a printer back
after a day must not spew yesterday's slips). ``requeue(sale_id)`` makes new jobs from a
sale's slips for a reprint; ``prune(before)`` deletes old finished jobs.

The agent passes the connection (its journal, WAL, ``synchronous=FULL``); this module opens
no file of its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from .document import Document
from .errors import UnknownSaleError

SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sale_id TEXT NOT NULL,
    template TEXT NOT NULL,
    lang TEXT NOT NULL,
    printer TEXT NOT NULL,
    document TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    printed_at REAL,
    reprint_of INTEGER REFERENCES print_jobs (id)
);
CREATE INDEX IF NOT EXISTS print_jobs_pending ON print_jobs (state, printer, id);
CREATE INDEX IF NOT EXISTS print_jobs_sale ON print_jobs (sale_id);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the print queue's table and indexes if they are not there (idempotent)."""
    conn.executescript(SCHEMA)


@dataclass(frozen=True)
class PrintJob:
    id: int
    sale_id: str
    template: str
    lang: str
    printer: str
    document: Document
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    printed_at: datetime | None
    reprint_of: int | None


@dataclass(frozen=True)
class QueueStatus:
    """What the agent status shows: depth, failures and the last error."""

    queued: int
    retrying: int
    failed: int
    expired: int
    oldest_queued_at: datetime | None
    last_printed_at: datetime | None
    last_error: str


def _ts(when: datetime) -> float:
    if when.tzinfo is None:
        raise ValueError(f"time must be timezone-aware, got {when!r}")
    return when.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


_COLUMNS = (
    "id, sale_id, template, lang, printer, document, state, attempts, next_attempt_at, "
    "last_error, created_at, printed_at, reprint_of"
)


def _job(row: tuple[object, ...]) -> PrintJob:
    (
        id_,
        sale,
        template,
        lang,
        printer,
        doc,
        state,
        attempts,
        next_at,
        error,
        created,
        printed,
        reprint_of,
    ) = row
    return PrintJob(
        int(id_),  # type: ignore[call-overload]
        str(sale),
        str(template),
        str(lang),
        str(printer),
        Document.from_json(str(doc)),
        str(state),
        int(attempts),  # type: ignore[call-overload]
        datetime.fromtimestamp(float(next_at), UTC),  # type: ignore[arg-type]
        str(error),
        datetime.fromtimestamp(float(created), UTC),  # type: ignore[arg-type]
        _dt(printed),  # type: ignore[arg-type]
        None if reprint_of is None else int(reprint_of),  # type: ignore[call-overload]
    )


class PrintQueue:
    """The print jobs in one SQLite connection.

    :param backoff_base: seconds before the first retry; doubles each failure.
    :param backoff_cap: longest wait between retries.
    """

    def __init__(
        self, conn: sqlite3.Connection, *, backoff_base: float = 2.0, backoff_cap: float = 60.0
    ) -> None:
        self.conn = conn
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    def enqueue(
        self,
        sale_id: str,
        template: str,
        document: Document,
        now: datetime,
        *,
        lang: str = "pt-BR",
        printer: str = "receipt",
        reprint_of: int | None = None,
    ) -> int:
        """Add a job inside the caller's transaction (not committed here); returns its id."""
        cur = self.conn.execute(
            "INSERT INTO print_jobs (sale_id, template, lang, printer, document, "
            "next_attempt_at, created_at, reprint_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sale_id, template, lang, printer, document.to_json(), _ts(now), _ts(now), reprint_of),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def pending(self, printer: str) -> list[PrintJob]:
        """The queued jobs of ``printer`` in the order they must print."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE state = 'queued' AND printer = ? ORDER BY id",
            (printer,),
        ).fetchall()
        return [_job(row) for row in rows]

    def printers_with_work(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT printer FROM print_jobs WHERE state = 'queued' ORDER BY printer"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def get(self, job_id: int) -> PrintJob:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,))
        found = row.fetchone()
        if found is None:
            raise KeyError(job_id)
        return _job(found)

    def jobs_for_sale(self, sale_id: str) -> list[PrintJob]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE sale_id = ? ORDER BY id", (sale_id,)
        ).fetchall()
        return [_job(row) for row in rows]

    def mark_done(self, job_id: int, now: datetime) -> None:
        """The whole payload reached the printer: never send this job again. Commits."""
        with self.conn:
            self.conn.execute(
                "UPDATE print_jobs SET state = 'done', printed_at = ?, attempts = attempts + 1, "
                "last_error = '' WHERE id = ? AND state = 'queued'",
                (_ts(now), job_id),
            )

    def mark_retry(self, job_id: int, error: str, now: datetime) -> datetime:
        """The printer could not take it: keep it queued, retry later. Commits.

        :returns: when the job is due again.
        """
        with self.conn:
            (attempts,) = self.conn.execute(
                "SELECT attempts FROM print_jobs WHERE id = ?", (job_id,)
            ).fetchone()
            delay = min(self.backoff_cap, self.backoff_base * 2 ** int(attempts))
            due = _ts(now) + delay
            self.conn.execute(
                "UPDATE print_jobs SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE id = ? AND state = 'queued'",
                (error, due, job_id),
            )
        return datetime.fromtimestamp(due, UTC)

    def mark_failed(self, job_id: int, error: str, now: datetime) -> None:
        """The job can never print as it is (broken document). Commits."""
        with self.conn:
            self.conn.execute(
                "UPDATE print_jobs SET state = 'failed', attempts = attempts + 1, "
                "last_error = ?, next_attempt_at = ? WHERE id = ?",
                (error, _ts(now), job_id),
            )

    def mark_expired(self, job_id: int, now: datetime) -> None:
        """Too old to be worth printing (the shopper is long gone); a reprint still can. Commits."""
        with self.conn:
            self.conn.execute(
                "UPDATE print_jobs SET state = 'expired', last_error = 'expired before printing', "
                "next_attempt_at = ? WHERE id = ? AND state = 'queued'",
                (_ts(now), job_id),
            )

    def prune(self, before: datetime) -> int:
        """Delete finished jobs made before ``before`` (queued ones are never pruned). Commits.

        :returns: how many jobs were deleted.
        """
        with self.conn:
            cur = self.conn.execute(
                "DELETE FROM print_jobs WHERE state != 'queued' AND created_at < ? AND id NOT IN "
                "(SELECT reprint_of FROM print_jobs WHERE reprint_of IS NOT NULL "
                " AND (state = 'queued' OR created_at >= ?))",
                (_ts(before), _ts(before)),
            )
        return cur.rowcount

    def requeue(self, sale_id: str, now: datetime) -> list[int]:
        """Queue a reprint of every slip the sale printed (or tried to). Commits.

        :raises UnknownSaleError: when the journal has no slips for ``sale_id``.
        """
        originals = [j for j in self.jobs_for_sale(sale_id) if j.reprint_of is None]
        if not originals:
            raise UnknownSaleError(
                f"no printed slips for sale {sale_id!r} in this journal",
                f"nenhum comprovante da venda {sale_id!r} neste caixa",
            )
        with self.conn:
            return [
                self.enqueue(
                    j.sale_id,
                    j.template,
                    j.document,
                    now,
                    lang=j.lang,
                    printer=j.printer,
                    reprint_of=j.id,
                )
                for j in originals
            ]

    def status(self) -> QueueStatus:
        queued, retrying, failed, expired, oldest, last_printed = self.conn.execute(
            "SELECT "
            "  COALESCE(SUM(state = 'queued'), 0),"
            "  COALESCE(SUM(state = 'queued' AND attempts > 0), 0),"
            "  COALESCE(SUM(state = 'failed'), 0),"
            "  COALESCE(SUM(state = 'expired'), 0),"
            "  MIN(CASE WHEN state = 'queued' THEN created_at END),"
            "  MAX(printed_at) "
            "FROM print_jobs"
        ).fetchone()
        error_row = self.conn.execute(
            "SELECT last_error FROM print_jobs WHERE state != 'done' AND last_error != '' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return QueueStatus(
            int(queued),
            int(retrying),
            int(failed),
            int(expired),
            _dt(oldest),
            _dt(last_printed),
            error_row[0] if error_row else "",
        )
