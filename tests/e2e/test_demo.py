"""The README's first command: the whole demo, as a user runs it, on a fresh folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TILLCLUB = shutil.which("tillclub") or str(Path(sys.executable).parent / "tillclub")


@pytest.mark.slow
def test_demo_runs_a_whole_shift_and_exits(tmp_path: Path) -> None:
    """GIVEN nothing but the installed package WHEN `tillclub demo --exit` runs THEN every step
    passes: the server gets every till sale once, the outbox drains after the outage, and
    member receipts were printed on the socket printer."""
    folder = tmp_path / "demo"
    result = subprocess.run(
        [TILLCLUB, "demo", "--dir", str(folder), "--exit"],
        capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "[12/12]" in out
    assert "9 sales at the till, 9 at the server, none twice" in out
    waiting = re.search(r"outbox: (\d+) events waiting; server unreachable", out)
    assert waiting, out[-3000:]
    assert int(waiting.group(1)) >= 3  # the three offline sales, at least
    assert "Leve 3 Pague 2" in out
    assert "Sua oferta" in out  # the personalised offer activated in the portal applied
    receipts = sorted((folder / "receipts").glob("receipt-*.txt"))
    assert receipts
    first = receipts[0].read_text(encoding="utf-8")
    assert "CLUBE DE VANTAGENS" in first
    assert "Preço Clube" in first
    assert all(p.with_suffix(".png").stat().st_size > 0 for p in receipts)
    for log in ("agent.log", "server.log"):
        text = (folder / log).read_text(encoding="utf-8")
        assert "Traceback" not in text, f"{log}:\n{text[-3000:]}"
