"""The ledger's jobs at scale: expiry + maturation over 10 ledger entries per member, on
PostgreSQL in a fresh database (the tier review's figures: ``bench/tier_review.py``).

At ``--scale 1``: 1,000,000 members, 10,000,000 ledger entries, 2,000,000 sales. Per member:
four points earnings (the first expires before "now"), two redemptions naming lots, three
cashback credits (the first expired, the second matured, the third still pending) and a
cashback redemption. Rows are made by ``INSERT … SELECT FROM generate_series`` (no Python).

Figures (one JSON line each): the job's time (a child process: reading the new entries into
``ledger_due``, then the due members in batches, each one set-based statement on PostgreSQL
with only the members SQL cannot decide folded in Python), its peak memory (the child's max
RSS), and the ratio to a bare ``INSERT … SELECT`` writing the same expiries and maturity
markers in one statement each (in the same run, rolled back). The tier review has its own
``bench/tier_review.py``.

Run: ``.venv/bin/python bench/ledger_jobs.py [--scale 0.01]`` (``--scale 1``: the full size).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.migrate import upgrade  # noqa: E402
from tests.server.conftest import create_pg_database, drop_pg_database  # noqa: E402
from tests.server.ledger_world import NOW, load  # noqa: E402

# The floor: the same expiries (what is left of each lot past expiry, from the entries naming
# it) and maturity markers, each in one statement.
_BARE_EXPIRE = """
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    reverses, reason, recorded_at, change_seq)
SELECT 'E:HQ:xp:' || lot.entry_id, lot.member_id, lot.currency, 'expire',
    -(lot.amount + coalesce(u.used, 0)), lot.expires_at, lot.entry_id, 'expired', now(), 0
FROM ledger_entries lot
LEFT JOIN (SELECT reverses, sum(amount) AS used FROM ledger_entries
           WHERE amount < 0 AND reverses IS NOT NULL GROUP BY reverses) u
       ON u.reverses = lot.entry_id
WHERE lot.amount > 0 AND lot.expires_at <= %(now)s AND lot.amount + coalesce(u.used, 0) > 0
"""
_BARE_MATURE = """
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    reverses, reason, recorded_at, change_seq)
SELECT 'E:HQ:mt:' || e.entry_id, e.member_id, 'cashback', 'mature', 0, e.available_at,
    e.entry_id, 'available', now(), 0
FROM ledger_entries e
WHERE e.currency = 'cashback' AND e.amount > 0 AND e.available_at <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.kind = 'mature'
                  AND x.reverses = e.entry_id)
"""


def bare(dsn: str, statements: list[str], params: dict[str, object]) -> float:
    """Seconds for ``statements`` in one transaction, rolled back (the database is unchanged)."""
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        for sql in statements:
            conn.execute(sql, params)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def child(job: str, url: str, batch: int) -> tuple[float, dict[str, object], float]:
    """Run one job in a child process: (seconds, its report, its peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, __file__, "--child", job, "--url", url, "--batch", str(batch)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    body = json.loads(out.strip().splitlines()[-1])
    # ru_maxrss of children is the largest of any child so far: jobs run largest-first.
    return float(body["seconds"]), body["report"], max(peak, before) / 1024


def run_child(job: str, url: str, batch: int) -> None:
    from server import create_app
    from server.db import get_engine
    from server.jobs.contract import JobContext
    from server.services.expiry import expire_and_mature
    from tests.server.conftest import make_config

    app = create_app(make_config(url))
    fn = {"expiry": expire_and_mature}[job]
    started = time.perf_counter()
    report = fn(JobContext(app, NOW, batch, "bench"))
    seconds = time.perf_counter() - started
    get_engine(app).dispose()
    print(json.dumps({"seconds": seconds, "report": report.detail | {"processed": report.processed,
          "changed": report.changed}}))  # fmt: skip


def line(figure: str, value: float, unit: str, baseline: float | None, target: float,
         ratio: bool = True) -> None:  # fmt: skip
    r = None if baseline in (None, 0) or not ratio else round(value / baseline, 2)  # type: ignore[operator]
    met = (r if ratio else value) is not None and (r if ratio else value) <= target  # type: ignore[operator]
    print(json.dumps({"bench": "ledger_jobs", "figure": figure, "value": round(value, 2),
                      "unit": unit, "baseline": None if baseline is None else round(baseline, 2),
                      "ratio": r, "target": target, "met": met}), flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.01, help="1 = 1,000,000 members")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.url, args.batch)
        return
    members = max(10, int(1_000_000 * args.scale))
    name, url = create_pg_database("tc_bench_ledger_jobs")
    dsn = url.replace("+psycopg", "")
    try:
        upgrade(url)
        started = time.perf_counter()
        load(dsn, members)
        print(f"# loaded {members * 10} entries in {time.perf_counter() - started:.0f}s",
              file=sys.stderr)  # fmt: skip
        naive_now = NOW.replace(tzinfo=None)
        base_expire = bare(dsn, [_BARE_EXPIRE, _BARE_MATURE], {"now": naive_now})
        seconds, report, peak = child("expiry", url, args.batch)
        print(f"# expiry report {report}", file=sys.stderr)
        n = f"{members * 10:_}".replace("_", ",")
        line(f"expiry_maturation_{n}_entries_s", seconds, "s", base_expire, 3.0)
        line("expiry_maturation_peak_rss_mb", peak, "MB", None, 500.0, ratio=False)
    finally:
        drop_pg_database(name)


if __name__ == "__main__":
    main()
