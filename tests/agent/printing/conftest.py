"""Fixtures for printing tests: a real TCP "printer" on loopback, example data, a journal."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.printing.queue import ensure_schema
from tests.support.net import free_port as free_port

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "printer_templates" / "examples"
TEMPLATES = ("loyalty_slip", "voucher", "raffle_numbers", "next_purchase_coupon")
DLE_EOT = b"\x10\x04"


class PrinterServer:
    """A loopback TCP listener that records what each connection sent, like a port-9100 printer.

    ``status_byte``: the answer to a ``DLE EOT n`` real-time status query (``None``: stay
    silent). 0x12 is "paper adequate", 0x72 "no paper" (python-escpos masks).
    """

    def __init__(self, port: int = 0, status_byte: int | None = None) -> None:
        self.status_byte = status_byte
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                received = bytearray()
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    received += chunk
                    if self.status_byte is not None and received.endswith(DLE_EOT + b"\x04"):
                        conn.sendall(bytes([self.status_byte]))
                with self._done:
                    self.jobs.append(bytes(received))
                    self._done.notify_all()

    def wait_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        with self._done:
            if not self._done.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise AssertionError(f"expected {count} job(s), got {len(self.jobs)}")
            return list(self.jobs)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the thread
        except OSError:
            pass
        self.sock.close()
        self._thread.join(2)


@pytest.fixture
def printer_server() -> Iterator[PrinterServer]:
    server = PrinterServer()
    yield server
    server.close()


def example(name: str) -> dict[str, Any]:
    with (EXAMPLES / f"{name}.json").open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "agent.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    ensure_schema(conn)
    conn.close()
    return path


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("PRAGMA synchronous=FULL")
    return conn
