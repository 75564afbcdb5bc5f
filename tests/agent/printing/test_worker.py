"""The print worker sends jobs through python-escpos to a real TCP socket on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.printing.connectors import ConnectorConfig
from agent.printing.errors import TemplateError
from agent.printing.profiles import profile_for
from agent.printing.queue import PrintQueue, ensure_schema
from agent.printing.worker import PrinterTarget, PrintWorker, submit
from tests.support.clock import MovableClock
from tests.support.net import free_port

from .conftest import PrinterServer, connect, example

ESC, GS = b"\x1b", b"\x1d"
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # in the past: the worker compares with now


class Clock(MovableClock):
    def __init__(self) -> None:
        super().__init__(T0)


def target(port: int, paper: int = 80, **extra: object) -> PrinterTarget:
    connector = {"type": "network", "host": "127.0.0.1", "port": port, "timeout": 2, **extra}
    return PrinterTarget(ConnectorConfig.from_mapping(connector), profile_for(paper))


def enqueue(journal: Path, template: str, sale: str = "S1", lang: str = "pt-BR") -> int:
    conn = connect(journal)
    job = submit(
        PrintQueue(conn),
        sale_id=sale,
        template=template,
        data=example(template),
        now=T0,
        lang=lang,
        profile=profile_for(80),
    )
    conn.commit()
    conn.close()
    return job


def test_voucher_bytes_reach_the_printer_socket(
    journal: Path, printer_server: PrinterServer
) -> None:
    """GIVEN a voucher queued for a network printer on a real loopback socket
    WHEN the worker runs
    THEN the printer receives the text lines, alignment and emphasis, the Code 128 with the
    voucher code and a cut, once"""
    enqueue(journal, "voucher")
    worker = PrintWorker(
        lambda: connect(journal), {"receipt": target(printer_server.port)}, clock=Clock()
    )
    assert worker.run_once(PrintQueue(connect(journal))) == 1
    (job,) = printer_server.wait_jobs(1)
    assert job.startswith(ESC + b"@" + ESC + b"t\x03")
    assert ESC + b"a\x01" + b"Mercado Bom Pre\x87o - Loja 3\n" in job  # centred, ç in CP860
    assert ESC + b"E\x01" + ESC + b"a\x00" + b"V\xa0lido at\x82" in job  # bold pair
    assert ESC + b"!\x30" in job
    assert b"VALE-COMPRA\n" in job
    assert GS + b"kI\x0a{BVC7QX2K9" in job
    assert job.endswith(GS + b"V\x00")
    assert worker.health()[0].online is True


def test_coupon_qr_reaches_the_printer(journal: Path, printer_server: PrinterServer) -> None:
    """GIVEN a next-purchase coupon in English
    WHEN it prints
    THEN the native QR commands carry the coupon code"""
    enqueue(journal, "next_purchase_coupon", lang="en")
    worker = PrintWorker(lambda: connect(journal), {"receipt": target(printer_server.port)})
    worker.run_once(PrintQueue(connect(journal)))
    (job,) = printer_server.wait_jobs(1)
    assert GS + b"(k\x0f\x001P0NP-4F7K-22QM" in job
    assert GS + b"(k\x03\x001Q0" in job
    assert b"ON YOUR NEXT PURCHASE" in job


def test_refused_then_accepting_printer_gets_the_job_exactly_once(journal: Path) -> None:
    """GIVEN a job for a printer whose port refuses connections (printer off)
    WHEN the worker retries with backoff, and then a listener appears on the same port
    THEN the job stays queued while refused, then arrives once and is never sent again"""
    port = free_port()
    clock = Clock()
    enqueue(journal, "raffle_numbers")
    worker = PrintWorker(lambda: connect(journal), {"receipt": target(port)}, clock=clock)
    queue = PrintQueue(connect(journal))
    assert worker.run_once(queue) == 0
    (job,) = queue.pending("receipt")
    assert job.attempts == 1
    assert "refused" in job.last_error.lower()
    assert worker.health()[0].online is False
    assert queue.status().retrying == 1
    server = PrinterServer(port)
    try:
        assert worker.run_once(queue) == 0  # still inside its 2 s backoff: not tried
        clock.now += timedelta(seconds=2)
        assert worker.run_once(queue) == 1
        clock.now += timedelta(minutes=5)
        assert worker.run_once(queue) == 0
        time.sleep(0.2)
        jobs = server.wait_jobs(1)
        assert len(jobs) == 1
        assert b"Certificado de Autoriza\x87\x84o SPA/MF n\xa7" in jobs[0]
        assert queue.status().queued == 0
    finally:
        server.close()


def test_out_of_paper_keeps_the_job_queued(journal: Path) -> None:
    """GIVEN a printer that answers the paper-status query with "no paper"
    WHEN the worker tries to print
    THEN nothing but the status query is sent and the job stays queued; with paper it prints"""
    server = PrinterServer(status_byte=0x72)
    clock = Clock()
    try:
        enqueue(journal, "voucher")
        printers = {"receipt": target(server.port, check_paper=True)}
        worker = PrintWorker(lambda: connect(journal), printers, clock=clock)
        queue = PrintQueue(connect(journal))
        assert worker.run_once(queue) == 0
        assert server.wait_jobs(1) == [b"\x10\x04\x04"]
        assert "out of paper" in queue.status().last_error
        server.status_byte = 0x12
        clock.now += timedelta(seconds=2)
        assert worker.run_once(queue) == 1
        jobs = server.wait_jobs(2)
        assert jobs[1].startswith(b"\x10\x04\x04" + ESC + b"@")
        assert b"VALE-COMPRA" in jobs[1]
    finally:
        server.close()


def test_jobs_keep_their_order_behind_a_failing_head(journal: Path) -> None:
    """GIVEN two slips queued while the printer is off
    WHEN the printer comes back
    THEN they print in the order they were queued"""
    port = free_port()
    clock = Clock()
    first = enqueue(journal, "loyalty_slip")
    second = enqueue(journal, "voucher")
    worker = PrintWorker(lambda: connect(journal), {"receipt": target(port)}, clock=clock)
    queue = PrintQueue(connect(journal))
    worker.run_once(queue)
    assert queue.get(first).attempts == 1
    assert queue.get(second).attempts == 0
    server = PrinterServer(port)
    try:
        clock.now += timedelta(seconds=2)
        assert worker.run_once(queue) == 2
        jobs = server.wait_jobs(2)
        assert b"CLUBE DE VANTAGENS" in jobs[0]
        assert b"VALE-COMPRA" in jobs[1]
    finally:
        server.close()


def test_the_sale_never_waits_for_the_printer(journal: Path) -> None:
    """GIVEN a printer that is unreachable
    WHEN the till submits a slip
    THEN submit returns at once without touching the network"""
    conn = connect(journal)
    began = time.perf_counter()
    submit(
        PrintQueue(conn),
        sale_id="S9",
        template="loyalty_slip",
        data=example("loyalty_slip"),
        now=T0,
        profile=profile_for(58),
    )
    conn.commit()
    assert time.perf_counter() - began < 0.5


def test_bad_data_fails_at_the_till_not_in_the_queue(journal: Path) -> None:
    data = example("voucher")
    data["voucher"]["code"] = "X" * 30  # too wide for 58 mm
    conn = connect(journal)
    with pytest.raises(TemplateError, match="too wide"):
        submit(
            PrintQueue(conn),
            sale_id="S1",
            template="voucher",
            data=data,
            now=T0,
            profile=profile_for(58),
        )
    assert PrintQueue(conn).status().queued == 0


def test_worker_thread_prints_after_restart_and_reprint(
    journal: Path, printer_server: PrinterServer
) -> None:
    """GIVEN a slip queued while no agent ran (jobs survive restart)
    WHEN the worker thread starts, and later a reprint is requeued
    THEN the slip prints, and the reprint prints again with a "2ª VIA" banner"""
    enqueue(journal, "loyalty_slip", sale="S7")
    worker = PrintWorker(
        lambda: connect(journal), {"receipt": target(printer_server.port)}, poll_interval=5
    )
    worker.start()
    try:
        first = printer_server.wait_jobs(1)[0]
        assert b"2\xa6 VIA" not in first
        conn = connect(journal)
        PrintQueue(conn).requeue("S7", datetime.now(UTC))
        worker.notify()
        second = printer_server.wait_jobs(2)[1]
        assert b"*** 2\xa6 VIA ***" in second  # ª is 0xA6 in CP860
        assert second.replace(ESC + b"a\x01" + ESC + b"E\x01", b"").count(b"CLUBE") == 1
    finally:
        worker.stop()


def test_unknown_printer_name_keeps_the_job_and_says_why(journal: Path) -> None:
    conn = connect(journal)
    submit(
        PrintQueue(conn),
        sale_id="S1",
        template="voucher",
        data=example("voucher"),
        now=T0,
        printer="kitchen",
    )
    conn.commit()
    worker = PrintWorker(lambda: connect(journal), {}, clock=Clock())
    queue = PrintQueue(connect(journal))
    worker.run_once(queue)
    assert "no printer named 'kitchen'" in queue.status().last_error


def test_status_shows_a_printer_that_is_off(journal: Path) -> None:
    """GIVEN a printer that refuses connections
    WHEN a job has been tried
    THEN the status (as the agent's status page shows it) says queued, retrying and why"""
    port = free_port()
    enqueue(journal, "voucher")
    worker = PrintWorker(lambda: connect(journal), {"receipt": target(port)}, clock=Clock())
    queue = PrintQueue(connect(journal))
    worker.run_once(queue)
    status = worker.status(queue)
    assert status["queue"]["queued"] == 1
    assert status["queue"]["retrying"] == 1
    assert status["queue"]["oldest_queued_at"] == T0.isoformat()
    (printer,) = status["printers"]
    assert printer["online"] is False
    assert f"127.0.0.1:{port}" in printer["last_error"]
    assert printer["where"] == f"network 127.0.0.1:{port}"


def test_worker_thread_survives_a_journal_that_is_not_there_yet(tmp_path: Path) -> None:
    """GIVEN a worker whose journal cannot be opened at first
    WHEN the journal appears
    THEN the thread is still alive and prints"""
    server = PrinterServer()
    path = tmp_path / "later" / "agent.db"
    worker = PrintWorker(
        lambda: connect(path), {"receipt": target(server.port)}, poll_interval=0.05
    )
    worker.start()
    try:
        time.sleep(0.2)
        path.parent.mkdir()
        conn = connect(path)
        ensure_schema(conn)
        conn.close()
        enqueue(path, "voucher")
        worker.notify()
        assert len(server.wait_jobs(1)) == 1
    finally:
        worker.stop()
        server.close()


def test_slips_older_than_stale_after_expire_instead_of_printing(
    journal: Path, printer_server: PrinterServer
) -> None:
    """GIVEN a slip queued in the morning while the printer was off
    WHEN the printer is back in the evening and the worker has stale_after = 30 min
    THEN that slip is expired (shown in status), newer ones print, and a reprint still works"""
    clock = Clock()
    old = enqueue(journal, "loyalty_slip", sale="S1")
    clock.now = T0 + timedelta(hours=8)
    conn = connect(journal)
    fresh = submit(
        PrintQueue(conn), sale_id="S2", template="voucher", data=example("voucher"), now=clock.now
    )
    conn.commit()
    worker = PrintWorker(
        lambda: connect(journal),
        {"receipt": target(printer_server.port)},
        clock=clock,
        stale_after=timedelta(minutes=30),
    )
    queue = PrintQueue(connect(journal))
    assert worker.run_once(queue) == 1
    assert (queue.get(old).state, queue.get(fresh).state) == ("expired", "done")
    assert worker.status(queue)["queue"]["expired"] == 1
    queue.requeue("S1", clock.now)
    assert worker.run_once(queue) == 1
    jobs = printer_server.wait_jobs(2)
    assert b"VALE-COMPRA" in jobs[0]
    assert b"2\xa6 VIA" in jobs[1]
