"""The durable print queue in SQLite: transactions, restarts, backoff, reprints, status."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.printing.document import Document, Text
from agent.printing.errors import UnknownSaleError
from agent.printing.queue import PrintQueue, ensure_schema

from .conftest import connect

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DOC = Document((Text("slip"),))


def test_ensure_schema_is_idempotent(journal: Path) -> None:
    conn = connect(journal)
    ensure_schema(conn)
    ensure_schema(conn)
    assert PrintQueue(conn).status().queued == 0


def test_enqueue_belongs_to_the_callers_transaction(journal: Path) -> None:
    """The sale and its slips commit together, or neither does."""
    conn = connect(journal)
    conn.execute("CREATE TABLE sales (id TEXT PRIMARY KEY)")
    conn.commit()
    queue = PrintQueue(conn)
    conn.execute("INSERT INTO sales VALUES ('S1')")
    queue.enqueue("S1", "voucher", DOC, T0)
    conn.rollback()
    assert queue.status().queued == 0
    conn.execute("INSERT INTO sales VALUES ('S1')")
    queue.enqueue("S1", "voucher", DOC, T0)
    conn.commit()
    other = connect(journal)
    assert PrintQueue(other).status().queued == 1


def test_jobs_survive_a_restart(journal: Path) -> None:
    conn = connect(journal)
    job = PrintQueue(conn).enqueue("S1", "voucher", DOC, T0, lang="en")
    conn.commit()
    conn.close()
    reopened = PrintQueue(connect(journal))
    (pending,) = reopened.pending("receipt")
    assert (pending.id, pending.sale_id, pending.lang, pending.document) == (job, "S1", "en", DOC)


def test_retry_backoff_doubles_up_to_the_cap(journal: Path) -> None:
    """attempt: 1  2  3  4   5   6   7
    wait s:     2  4  8  16  32  60  60"""
    queue = PrintQueue(connect(journal), backoff_base=2, backoff_cap=60)
    job = queue.enqueue("S1", "voucher", DOC, T0)
    waits = [(queue.mark_retry(job, "refused", T0) - T0).total_seconds() for _ in range(7)]
    assert waits == [2, 4, 8, 16, 32, 60, 60]
    status = queue.status()
    assert (status.queued, status.retrying, status.last_error) == (1, 1, "refused")


def test_done_is_final(journal: Path) -> None:
    queue = PrintQueue(connect(journal))
    job = queue.enqueue("S1", "voucher", DOC, T0)
    queue.mark_done(job, T0)
    queue.mark_retry(job, "late failure report", T0)  # must not resurrect it
    assert queue.get(job).state == "done"
    assert queue.pending("receipt") == []
    assert queue.status().last_printed_at == T0


def test_requeue_makes_reprint_jobs_of_the_sales_slips(journal: Path) -> None:
    queue = PrintQueue(connect(journal))
    first = queue.enqueue("S1", "loyalty_slip", DOC, T0)
    second = queue.enqueue("S1", "voucher", DOC, T0)
    queue.enqueue("S2", "voucher", DOC, T0)
    queue.mark_done(first, T0)
    queue.mark_done(second, T0)
    later = T0 + timedelta(hours=1)
    ids = queue.requeue("S1", later)
    jobs = [queue.get(i) for i in ids]
    assert [(j.template, j.reprint_of, j.state) for j in jobs] == [
        ("loyalty_slip", first, "queued"),
        ("voucher", second, "queued"),
    ]
    assert queue.requeue("S1", later) != ids  # reprinting twice reprints the originals again
    assert len([j for j in queue.jobs_for_sale("S1") if j.reprint_of]) == 4


def test_requeue_of_an_unknown_sale_is_a_clear_error(journal: Path) -> None:
    with pytest.raises(UnknownSaleError, match="'NOPE'") as err:
        PrintQueue(connect(journal)).requeue("NOPE", T0)
    assert "nenhum comprovante" in err.value.message_pt


def test_failed_jobs_show_in_status(journal: Path) -> None:
    queue = PrintQueue(connect(journal))
    job = queue.enqueue("S1", "voucher", DOC, T0)
    queue.mark_failed(job, "cannot render: barcode too wide", T0)
    status = queue.status()
    assert (status.queued, status.failed) == (0, 1)
    assert "too wide" in status.last_error


def test_naive_times_are_refused(journal: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PrintQueue(connect(journal)).enqueue("S1", "v", DOC, datetime(2026, 1, 1))  # noqa: DTZ001


def test_state_is_checked_by_the_database(journal: Path) -> None:
    conn = connect(journal)
    PrintQueue(conn).enqueue("S1", "voucher", DOC, T0)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE print_jobs SET state = 'printing'")


def test_prune_deletes_old_finished_jobs_but_never_queued_ones(journal: Path) -> None:
    queue = PrintQueue(connect(journal))
    old_done = queue.enqueue("S1", "voucher", DOC, T0)
    queue.mark_done(old_done, T0)
    old_queued = queue.enqueue("S2", "voucher", DOC, T0)
    later = T0 + timedelta(days=40)
    (reprint,) = queue.requeue("S1", later)  # a pending reprint keeps its original
    assert queue.prune(T0 + timedelta(days=30)) == 0
    queue.mark_done(reprint, later)
    new_done = queue.enqueue("S3", "voucher", DOC, later)
    queue.mark_done(new_done, later)
    assert queue.prune(T0 + timedelta(days=30)) == 0  # the reprint is newer: keep its original
    assert queue.prune(later + timedelta(days=1)) == 3
    assert [j.id for j in queue.pending("receipt")] == [old_queued]


def test_prune_works_with_foreign_keys_on(journal: Path) -> None:
    conn = connect(journal)
    conn.execute("PRAGMA foreign_keys = ON")
    queue = PrintQueue(conn)
    job = queue.enqueue("S1", "voucher", DOC, T0)
    queue.mark_done(job, T0)
    (reprint,) = queue.requeue("S1", T0 + timedelta(days=1))
    queue.mark_done(reprint, T0 + timedelta(days=1))
    assert queue.prune(T0 + timedelta(days=2)) == 2


def test_only_a_queued_job_can_become_done(journal: Path) -> None:
    queue = PrintQueue(connect(journal))
    job = queue.enqueue("S1", "voucher", DOC, T0)
    queue.mark_failed(job, "cannot render", T0)
    queue.mark_done(job, T0)
    assert queue.get(job).state == "failed"
    assert queue.status().last_printed_at is None
