"""The demo's virtual printer reads what python-escpos sends, as a printer would."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from agent.printing.escpos_render import render
from agent.printing.profiles import profile_for
from agent.printing.templates import render_template
from tillclub.demo.virtual_printer import VirtualPrinter, decode

EXAMPLES = Path(__file__).resolve().parents[3] / "printer_templates" / "examples"


@pytest.mark.parametrize("codepage", ["CP860", "CP850"])
def test_decodes_a_real_voucher_job(codepage: str) -> None:
    data = json.loads((EXAMPLES / "voucher.json").read_text(encoding="utf-8"))
    job = render(render_template("voucher", data), profile_for(80, codepage=codepage))
    lines = decode(job)
    text = "\n".join(lines)
    assert any(line.startswith("[CODE128 ") or line.startswith("[QR ") for line in lines)
    assert "\x1b" not in text
    assert "�" not in text
    assert "R$" in text


def test_socket_jobs_are_saved_as_bytes_text_and_png(tmp_path: Path) -> None:
    """GIVEN the virtual printer WHEN a slip arrives over TCP THEN .bin/.txt/.png are saved."""
    printer = VirtualPrinter(tmp_path)
    printer.start()
    try:
        data = json.loads((EXAMPLES / "loyalty_slip.json").read_text(encoding="utf-8"))
        job = render(render_template("loyalty_slip", data), profile_for(80))
        with socket.create_connection(("127.0.0.1", printer.port)) as conn:
            conn.sendall(job)
        deadline = time.monotonic() + 5
        while not printer.jobs:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        printer.stop()
    saved = printer.jobs[0]
    assert saved.with_suffix(".bin").read_bytes() == job
    assert saved.with_suffix(".png").stat().st_size > 0
    assert "R$" in saved.read_text(encoding="utf-8")
