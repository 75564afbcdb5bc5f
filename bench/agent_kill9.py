"""kill -9 at scale: the e2e scenario of ``tests/e2e/test_agent_kill9.py`` (200 kills in CI)
run with ``BENCH_KILLS`` kills (default 1,000) against a real server on loopback.

Figures: acknowledged sales lost, sales recorded twice, sales the server lacks or has extra
after the drain (all targets 0), and how long a restarted agent takes until it serves again
(reopening the journal and cache, ``quick_check``, the re-sent finalise), p50/p99, against the
baseline of a bare SQLite open + ``quick_check`` of the same journal file in the same run.
Prints one JSON object per figure.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.kill9 import run  # noqa: E402

KILLS = int(os.environ.get("BENCH_KILLS", "1000"))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def emit(
    figure: str,
    value: float,
    unit: str,
    baseline: float | None,
    target: str,
    met: bool,
) -> None:
    print(
        json.dumps(
            {
                "bench": "agent_kill9",
                "figure": figure,
                "value": round(value, 3),
                "unit": unit,
                "baseline": None if baseline is None else round(baseline, 3),
                "ratio": None if not baseline else round(value / baseline, 2),
                "target": target,
                "met": met,
            }
        ),
        flush=True,
    )


def bare_open_ms(journal: Path, n: int = 50) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        conn = sqlite3.connect(journal)
        conn.execute("PRAGMA quick_check").fetchall()
        conn.close()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-kill9-", dir=os.environ.get("BENCH_DIR")))
    try:
        o = run(tmp, KILLS)
        lost = sum(1 for pos, sale in o.acked.items() if o.recorded.get(pos) != sale)
        twice = len(o.server_sales) - len(set(o.server_sales))
        mismatch = len(set(o.server_sales) ^ set(o.recorded.values()))
        base = bare_open_ms(tmp / "journal.sqlite3")
        emit("kills", o.kills, "kills", None, f">= {KILLS}", o.kills >= KILLS)
        emit("acknowledged_sales", len(o.acked), "sales", None, "reference", True)
        emit("kills_mid_sale", o.killed_mid_sale, "kills", None, "> 0", o.killed_mid_sale > 0)
        emit("acknowledged_sales_lost", lost, "sales", None, "0", lost == 0)
        emit("sales_on_server_twice", twice, "sales", None, "0", twice == 0)
        emit("server_vs_journal_difference", mismatch, "sales", None, "0", mismatch == 0)
        emit("events_left_after_drain", o.unsent, "events", None, "0", o.unsent == 0)
        for p in (0.5, 0.99):
            name = f"restart_until_serving_p{int(p * 100)}"
            emit(name, pct(o.ready_ms, p), "ms", pct(base, p), "reference", True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
