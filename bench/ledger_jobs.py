"""The ledger's jobs at scale: expiry + maturation over 10 ledger entries per member, on
PostgreSQL in a fresh database (the tier review's figures: ``bench/tier_review.py``).

At ``--scale 1``: 1,000,000 members, 10,000,000 ledger entries, 2,000,000 sales. Per member:
four points earnings (the first expires before "now"), two redemptions naming lots, three
cashback credits (the first expired, the second matured, the third still pending) and a
cashback redemption. Rows are made by ``INSERT … SELECT FROM generate_series`` (no Python),
the ledger's secondary indexes built after the rows, then ``ANALYZE`` (as autovacuum would).

Figures (one JSON line each): the job's time (a child process: reading the new entries into
``ledger_due``, then the due members in batches, each one set-based statement on PostgreSQL
with only the members SQL cannot decide folded in Python), its peak memory (the child's own
max RSS), and the ratio to the issue's floor: a bare ``INSERT … SELECT`` per kind writing the
same expiries and maturity markers in one statement each, ids by concatenation, no change
numbers. ``..._vs_same_work``: the ratio to a floor that also derives the job's ids (SHA-256
in SQL) and takes change numbers from the counter. ``..._cpu_s``: CPU seconds of the job and
its backends against the floor's backend (the machine is shared; CPU is far less inflated by
the others' load than wall time).

Rounds (``--rounds``, default 2): each measures the floors (rolled back, then ``VACUUM``) and
the job (then undone: its entries deleted, ``ledger_due`` emptied, counter and cursor reset,
``VACUUM``), alternating which goes first; each round is printed on stderr, and the JSON lines
give the round with the worst ratio (its job and floor from that round).

Run: ``.venv/bin/python bench/ledger_jobs.py [--scale 0.01] [--rounds 2]`` (``--scale 1``: the
full size).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
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
# The floor: "a bare UPDATE/INSERT ... SELECT doing the same in one SQL statement".
# Each kind in one bare INSERT ... SELECT writing the rows the job writes (member, currency,
# kind, amount, effective_at, sale_id, reverses, reason: the same filters as the job, so the
# same rows), but with ids made by concatenation (sequential in the primary key, where the
# job's derived ids land at random places) and no change numbers (0, no counter): what a
# one-off SQL script would do. The same-work floor above is printed as ``..._vs_same_work``.
_BARE_EXPIRE = """
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    sale_id, reverses, reason, recorded_at, change_seq)
SELECT 'E:HQ:xp:' || lot.entry_id, lot.member_id, lot.currency, 'expire',
    -(lot.amount + coalesce(u.used, 0)), lot.expires_at, lot.sale_id, lot.entry_id, 'expired',
    %(now)s, 0
FROM ledger_entries lot
LEFT JOIN (SELECT reverses, sum(amount) AS used FROM ledger_entries
           WHERE amount < 0 AND reverses IS NOT NULL AND effective_at <= %(now)s
           GROUP BY reverses) u
       ON u.reverses = lot.entry_id
WHERE lot.amount > 0 AND lot.expires_at <= %(now)s AND lot.amount + coalesce(u.used, 0) > 0
  AND (lot.available_at IS NULL OR lot.available_at <= %(now)s)
"""
_BARE_MATURE = """
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    sale_id, reverses, reason, recorded_at, change_seq)
SELECT 'E:HQ:mt:' || e.entry_id, e.member_id, 'cashback', 'mature', 0, e.available_at,
    e.sale_id, e.entry_id, CAST(CAST(e.amount AS numeric) / 100 AS numeric(20, 2)) || ' available',
    %(now)s, 0
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
    """Seconds and the backend's CPU seconds for ``statements`` in one transaction, rolled back,
    and the rows they wrote; then a ``VACUUM`` (not timed) takes the rolled-back rows away, so
    the next measurement meets the table as loaded (their dead index entries slowed it)."""
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
    vacuum(dsn)
    return elapsed, cpu, rows


def vacuum(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ledger_entries")
        conn.execute("VACUUM ANALYZE ledger_due")


def fast_load(dsn: str, members: int) -> int:
    """The generated ledger (``tests/server/ledger_world.py``), with the ledger's secondary
    indexes built after the rows rather than kept up row by row (the load took 385 s at
    ``--scale 1``), then analysed as autovacuum would. :returns: the change counter after."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        defs = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_entries'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in defs:
            conn.execute(f'DROP INDEX "{name}"')
    load(dsn, members)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, sql in defs:
            conn.execute(sql)
        conn.execute("ANALYZE")
        top = conn.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
    return int(top[0])  # type: ignore[index]


def undo_job(dsn: str, top: int) -> None:
    """Take back what a run of the job wrote (its entries, ``ledger_due``, its cursor, the
    counter), then vacuum: the next round starts from the table as loaded."""
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM ledger_entries WHERE change_seq > %s", (top,))
        conn.execute("UPDATE change_counter SET value = %s WHERE id = 1", (top,))
        conn.execute("TRUNCATE ledger_due")
        conn.execute("DELETE FROM job_cursors WHERE name = 'ledger_due'")
        conn.commit()
    vacuum(dsn)


def child(job: str, url: str, batch: int) -> tuple[float, float, dict[str, object], float]:
    """Run one job in a child process: (seconds, CPU seconds of the child and its database
    backends, its report, its peak RSS in MB)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", job, "--url", url, "--batch", str(batch)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    body = json.loads(out.strip().splitlines()[-1])
    return float(body["seconds"]), float(body["cpu"]), body["report"], float(body["rss_mb"])


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
    # The worker's own high-water mark (Linux: KiB), the whole process with the app loaded.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss, "report": report.detail | {
          "processed": report.processed, "changed": report.changed}}))  # fmt: skip


def line(figure: str, value: float, unit: str, baseline: float | None, target: float,
         ratio: bool = True) -> None:  # fmt: skip
    r = None if baseline in (None, 0) or not ratio else round(value / baseline, 2)
    met = (r if ratio else value) is not None and (r if ratio else value) <= target  # type: ignore[operator]
    print(json.dumps({"bench": "ledger_jobs", "figure": figure, "value": round(value, 2),
                      "unit": unit, "baseline": None if baseline is None else round(baseline, 2),
                      "ratio": r, "target": target, "met": met}), flush=True)  # fmt: skip


@dataclass
class Round:
    """One round's measurements: the job, the issue's floor, the same-work floor."""

    job_s: float = 0.0
    job_cpu: float = 0.0
    rss_mb: float = 0.0
    bare_s: float = 0.0
    bare_cpu: float = 0.0
    same_s: float = 0.0
    same_cpu: float = 0.0


def measure(dsn: str, url: str, top: int, batch: int, job_first: bool) -> Round:
    r = Round()
    params: dict[str, object] = {"now": NOW.replace(tzinfo=None)}

    def floors() -> None:
        r.bare_s, r.bare_cpu, bare_rows = bare(dsn, [_BARE_EXPIRE, _BARE_MATURE], params)
        r.same_s, r.same_cpu, same_rows = bare(dsn, [_SAME_EXPIRE, _SAME_MATURE], params)
        if bare_rows != same_rows:
            print(f"# floors wrote {bare_rows} and {same_rows} rows", file=sys.stderr)
        floors_rows.append(same_rows)

    def job() -> None:
        r.job_s, r.job_cpu, report, r.rss_mb = child("expiry", url, batch)
        print(f"# expiry report {report}", file=sys.stderr)
        changed.append(int(report["changed"]))  # type: ignore[call-overload]
        undo_job(dsn, top)

    floors_rows: list[int] = []
    changed: list[int] = []
    for step in (job, floors) if job_first else (floors, job):
        step()
    # The floors must have written what the job wrote.
    if floors_rows != changed:
        print(f"# floor wrote {floors_rows} rows, the job {changed}", file=sys.stderr)
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.01, help="1 = 1,000,000 members")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument(
        "--rounds", type=int, default=2,
        help="rounds of (floors, job), alternating which goes first; the worst round is printed",
    )  # fmt: skip
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
        top = fast_load(dsn, members)
        print(f"# loaded {members * 10} entries in {time.perf_counter() - started:.0f}s",
              file=sys.stderr)  # fmt: skip
        rounds: list[Round] = []
        for i in range(args.rounds):
            r = measure(dsn, url, top, args.batch, job_first=i % 2 == 1)
            print(f"# round {i} ({'job' if i % 2 else 'floors'} first, load "
                  f"{os.getloadavg()[0]:.1f}): job {r.job_s:.1f} s (CPU {r.job_cpu:.1f}), "
                  f"{r.rss_mb:.0f} MB; issue's floor {r.bare_s:.1f} s (CPU {r.bare_cpu:.1f}) "
                  f"{r.job_s / r.bare_s:.2f}x; same-work floor {r.same_s:.1f} s "
                  f"(CPU {r.same_cpu:.1f}) {r.job_s / r.same_s:.2f}x", file=sys.stderr)  # fmt: skip
            rounds.append(r)
        # The worst round of each ratio (its job and floor from the same round).
        n = f"{members * 10:_}".replace("_", ",")
        w = max(rounds, key=lambda r: r.job_s / r.bare_s)
        line(f"expiry_maturation_{n}_entries_s", w.job_s, "s", w.bare_s, 3.0)
        w = max(rounds, key=lambda r: r.job_s / r.same_s)
        line(f"expiry_maturation_{n}_entries_s_vs_same_work", w.job_s, "s", w.same_s, 3.0)
        w = max(rounds, key=lambda r: r.job_cpu / r.bare_cpu)
        line(f"expiry_maturation_{n}_entries_cpu_s", w.job_cpu, "s", w.bare_cpu, 3.0)
        w = max(rounds, key=lambda r: r.job_cpu / r.same_cpu)
        line(f"expiry_maturation_{n}_entries_cpu_s_vs_same_work", w.job_cpu, "s", w.same_cpu, 3.0)
        peak = max(r.rss_mb for r in rounds)
        line("expiry_maturation_peak_rss_mb", peak, "MB", None, 500.0, ratio=False)
    finally:
        drop_pg_database(name)


if __name__ == "__main__":
    main()
