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
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.migrate import upgrade  # noqa: E402
from server.services.expiry_sql import derived_id_sql  # noqa: E402
from tests.server.conftest import create_pg_database, drop_pg_database  # noqa: E402
from tests.server.ledger_world import NOW, load  # noqa: E402

# The floor, doing the job's work: the same rows, each kind in one statement. The same
# expiries (what is left of each lot past expiry and available, from the entries naming it)
# and maturity markers, with the ids the job derives (SHA-256 in SQL, the same expression as
# the job's statement), the job's reasons and sale ids, and change numbers taken from
# change_counter in member order as the job numbers them.
_LOTS = """
SELECT lot.entry_id, lot.member_id, lot.currency, lot.amount + coalesce(u.used, 0) AS left_,
       lot.expires_at, lot.available_at, lot.sale_id, lot.amount
FROM ledger_entries lot
LEFT JOIN (SELECT reverses, sum(amount) AS used FROM ledger_entries
           WHERE amount < 0 AND reverses IS NOT NULL AND effective_at <= %(now)s
           GROUP BY reverses) u
       ON u.reverses = lot.entry_id
WHERE lot.amount > 0
"""
_NUMBERED = """
numbered AS (SELECT w.*, row_number() OVER (ORDER BY w.member_id COLLATE "C", w.k1,
                                                     w.reverses COLLATE "C") AS rn,
                    count(*) OVER () AS n FROM made w),
counter AS (UPDATE change_counter SET value = value + (SELECT count(*) FROM made)
            WHERE id = 1 RETURNING value)
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    sale_id, reverses, reason, recorded_at, change_seq)
SELECT w.entry_id, w.member_id, w.currency, w.kind, w.amount, w.effective_at, w.sale_id,
       w.reverses, w.reason, %(now)s, (SELECT value FROM counter) - w.n + w.rn
FROM numbered w
"""
_SAME_EXPIRE = f"""
WITH lots AS ({_LOTS}),
made AS (
    SELECT {derived_id_sql("xp", "l.entry_id")} AS entry_id, l.member_id, l.currency,
           'expire' AS kind, -l.left_ AS amount, l.expires_at AS effective_at, l.sale_id,
           l.entry_id AS reverses, 'expired' AS reason, l.expires_at AS k1
    FROM lots l
    WHERE l.expires_at <= %(now)s AND l.left_ > 0
      AND (l.available_at IS NULL OR l.available_at <= %(now)s)
),
{_NUMBERED}
"""
_SAME_MATURE = f"""
WITH made AS (
    SELECT {derived_id_sql("mt", "e.entry_id")} AS entry_id, e.member_id, 'cashback' AS currency,
           'mature' AS kind, CAST(0 AS bigint) AS amount, e.available_at AS effective_at,
           e.sale_id, e.entry_id AS reverses,
           CAST(CAST(e.amount AS numeric) / 100 AS numeric(20, 2)) || ' available' AS reason,
           e.available_at AS k1
    FROM ledger_entries e
    WHERE e.currency = 'cashback' AND e.amount > 0 AND e.available_at <= %(now)s
      AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.kind = 'mature'
                      AND x.reverses = e.entry_id)
),
{_NUMBERED}
"""
# The figure before the baseline did the same work (kept, printed as ``..._vs_sequential_ids``):
# the same expiries and markers with ids made by concatenation (sequential in the primary key,
# where the job's derived ids land at random places), change number 0, no counter.
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


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the PostgreSQL backends ``pids`` used so far (they run on
    this machine): a figure the other engineers' load inflates far less than wall time."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def bare(dsn: str, statements: list[str], params: dict[str, object]) -> tuple[float, float, int]:
    """Seconds and the backend's CPU seconds for ``statements`` in one transaction, rolled back
    (the database is unchanged), and the rows they wrote."""
    with psycopg.connect(dsn) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        cpu = backend_cpu([pid])
        started = time.perf_counter()
        rows = 0
        for sql in statements:
            rows += conn.execute(sql, params).rowcount
        elapsed = time.perf_counter() - started
        cpu = backend_cpu([pid]) - cpu
        conn.rollback()
    return elapsed, cpu, rows


def child(job: str, url: str, batch: int) -> tuple[float, float, dict[str, object], float]:
    """Run one job in a child process: (seconds, CPU seconds of the child and its database
    backends, its report, its peak RSS in MB)."""
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
    return float(body["seconds"]), float(body["cpu"]), body["report"], max(peak, before) / 1024


def run_child(job: str, url: str, batch: int) -> None:
    from sqlalchemy import text

    from server import create_app
    from server.db import get_engine
    from server.jobs.contract import JobContext
    from server.services.expiry import expire_and_mature
    from tests.server.conftest import make_config

    app = create_app(make_config(url))
    fn = {"expiry": expire_and_mature}[job]
    mine = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = fn(JobContext(app, NOW, batch, "bench"))
    seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = used.ru_utime + used.ru_stime - mine.ru_utime - mine.ru_stime
    with get_engine(app).connect() as conn:
        # The job's backends (its pool's connections, all opened by the job): their whole CPU.
        pids = conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'")).scalars().all()  # fmt: skip
        cpu += backend_cpu(list(pids))
    get_engine(app).dispose()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "report": report.detail | {
          "processed": report.processed, "changed": report.changed}}))  # fmt: skip


def line(figure: str, value: float, unit: str, baseline: float | None, target: float,
         ratio: bool = True) -> None:  # fmt: skip
    r = None if baseline in (None, 0) or not ratio else round(value / baseline, 2)
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
        # Both floors, then the job: they write what the job writes, then roll back.
        params: dict[str, object] = {"now": naive_now}
        old, _, _ = bare(dsn, [_BARE_EXPIRE, _BARE_MATURE], params)
        same, same_cpu, same_rows = bare(dsn, [_SAME_EXPIRE, _SAME_MATURE], params)
        seconds, cpu, report, peak = child("expiry", url, args.batch)
        print(f"# expiry report {report}", file=sys.stderr)
        # The same-work floor must have written what the job wrote.
        if same_rows != report["changed"]:
            print(f"# floor wrote {same_rows} rows, the job {report['changed']}", file=sys.stderr)
        n = f"{members * 10:_}".replace("_", ",")
        line(f"expiry_maturation_{n}_entries_s", seconds, "s", same, 3.0)
        line(f"expiry_maturation_{n}_entries_s_vs_sequential_ids", seconds, "s", old, 3.0)
        line(f"expiry_maturation_{n}_entries_cpu_s", cpu, "s", same_cpu, 3.0)
        line("expiry_maturation_peak_rss_mb", peak, "MB", None, 500.0, ratio=False)
    finally:
        drop_pg_database(name)


if __name__ == "__main__":
    main()
