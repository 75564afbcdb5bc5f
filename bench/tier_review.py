"""The tier review at scale: the nightly job against bare SQL doing the same, on PostgreSQL.

At ``--scale 1``: 1,000,000 members with two sales each over the last 120 days (the members,
sales and ladder of ``tests/server/ledger_world.py``, without its ledger entries, which the
review does not read); the ladder is ``classic`` from 0 and ``gold`` from R$ 4.000,00 over 12
months, reviewed monthly.

Figures (one JSON line each, the baselines measured in the same run, interleaved with the job):

- ``…_steady_run_s``: a night with nothing to change (every member reviewed at this moment
  already, the job's common night: upgrades happen at ingest), against one bare aggregate of
  the same spend (sales minus refunds over the same window, ``SUM … GROUP BY`` read by the
  client). The issue's target, ≤ 3×. Median of ``--repeat`` runs each, interleaved.
- ``…_first_run_s``: every member gets a first tier (1,000,000 rows written, each with a
  change number), against the same bare aggregate (the issue's target, written for the
  steady night) and, as ``…_first_run_vs_update_s``, against a bare one-statement
  ``UPDATE … FROM (aggregate)`` writing the same tiers, review dates and change numbers
  (rolled back): the fair floor for a run that writes every member.

The job is :func:`server.services.tiers.tier_review_job` with ``--batch`` writes per
transaction (the job's ``batch_size``). After the first run the bench checks that the job's
tiers are the bare statement's (stderr).

Run: ``.venv/bin/python bench/tier_review.py [--scale 0.01] [--batch 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.migrate import upgrade  # noqa: E402
from tests.server.conftest import PG_ADMIN, create_pg_database, drop_pg_database  # noqa: E402
from tests.server.ledger_world import NOW, load  # noqa: E402

BENCH = "tier_review"
TARGET = 3.0

# The floor of a night: the same spend (sales minus refunds over the window), read whole.
_BARE_SPEND = (
    """SELECT member_id, sum(total) FROM sales
WHERE occurred_at > %(start)s AND occurred_at <= %(now)s GROUP BY member_id""",
    """SELECT s.member_id, sum(f.amount) FROM refunds f JOIN sales s ON s.sale_id = f.sale_id
WHERE f.occurred_at > %(start)s AND f.occurred_at <= %(now)s GROUP BY s.member_id""",
)
# The floor of a first run: the same tiers, review dates and change numbers in one statement.
_BARE_UPDATE = """
UPDATE members m SET tier = a.tier, tier_reviewed_at = %(now)s, change_seq = %(seq0)s + a.rn
FROM (SELECT m2.id, {rank} AS tier, row_number() OVER (ORDER BY m2.id) AS rn
      FROM members m2
      LEFT JOIN (SELECT member_id, sum(total) AS cents FROM sales
                 WHERE occurred_at > %(start)s AND occurred_at <= %(now)s
                 GROUP BY member_id) si ON si.member_id = m2.id
      LEFT JOIN (SELECT s.member_id, sum(f.amount) AS cents FROM refunds f
                 JOIN sales s ON s.sale_id = f.sale_id
                 WHERE f.occurred_at > %(start)s AND f.occurred_at <= %(now)s
                 GROUP BY s.member_id) ri ON ri.member_id = m2.id
      WHERE m2.active) a
WHERE m.id = a.id
"""


def ladder_case(dsn: str) -> str:
    """The ladder as one ``CASE`` on ``cents`` (the chain setting the world loaded)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT value FROM chain_settings WHERE key = 'tiers'").fetchone()
    assert row is not None
    tiers = row[0]["tiers"]
    cents = "(coalesce(si.cents, 0) - coalesce(ri.cents, 0))"
    whens = " ".join(
        f"WHEN {cents} >= {Decimal(t['threshold']) * 100} THEN '{t['name']}'"
        for t in reversed(tiers[1:])
    )
    return f"CASE {whens} ELSE '{tiers[0]['name']}' END"


def bare(dsn: str, statements: tuple[str, ...], params: dict[str, object]) -> float:
    """Seconds for ``statements`` in one transaction, rows read by the client, rolled back."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET jit = off")  # as the job: the aggregate gains nothing from it
        started = time.perf_counter()
        for sql in statements:
            cur = conn.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def job(url: str, batch: int) -> Callable[[], tuple[float, dict[str, object]]]:
    from server import create_app
    from server.jobs.contract import JobContext
    from server.services.tiers import tier_review_job
    from tests.server.conftest import make_config

    app = create_app(make_config(url))

    def run() -> tuple[float, dict[str, object]]:
        started = time.perf_counter()
        report = tier_review_job(JobContext(app, NOW, batch, "bench"))
        seconds = time.perf_counter() - started
        return seconds, report.detail | {"processed": report.processed, "changed": report.changed}

    return run


def line(figure: str, value: float, unit: str, baseline: float, target: float) -> None:
    ratio = round(value / baseline, 2)
    print(json.dumps({"bench": BENCH, "figure": figure, "value": round(value, 2), "unit": unit,
                      "baseline": round(baseline, 2), "ratio": ratio, "target": target,
                      "met": ratio <= target}), flush=True)  # fmt: skip


def note(text: str) -> None:
    print(f"# {text} (load {' '.join(f'{x:.2f}' for x in os.getloadavg())})", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.01, help="1 = 1,000,000 members")
    parser.add_argument("--batch", type=int, default=2000, help="the job's writes per commit")
    parser.add_argument("--repeat", type=int, default=3, help="steady nights and baselines")
    args = parser.parse_args()
    members = max(10, int(1_000_000 * args.scale))
    name, url = create_pg_database("tc_bench_tier_review")
    dsn = url.replace("+psycopg", "")
    try:
        upgrade(url)
        started = time.perf_counter()
        load(dsn, members, ledger=False)
        note(f"loaded {members:,} members in {time.perf_counter() - started:.0f}s")
        start = (NOW - dt.timedelta(days=365)).replace(tzinfo=None)
        params: dict[str, object] = {"now": NOW.replace(tzinfo=None), "start": start}
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT value FROM change_counter").fetchone()
        assert row is not None
        update = (_BARE_UPDATE.format(rank=ladder_case(dsn)),)
        up = params | {"seq0": row[0]}
        run = job(url, args.batch)
        spend: list[float] = []
        writes: list[float] = []
        for _ in range(args.repeat):
            spend.append(bare(dsn, _BARE_SPEND, params))
            # Each bare UPDATE on a fresh copy: a rolled-back million-row UPDATE leaves a
            # million dead rows, which would weigh on the job's first run after it.
            copy = copy_of(name)
            try:
                writes.append(bare(dsn.rsplit("/", 1)[0] + "/" + copy, update, up))
            finally:
                drop_pg_database(copy)
        note(f"bare aggregate {spend}, bare update {writes}")
        first, report = run()
        note(f"first run {first:.2f}s {report}")
        check(dsn, update[0], up)
        with psycopg.connect(dsn, autocommit=True) as conn:
            # The next nights come after autovacuum has taken the first run's dead rows.
            conn.execute("VACUUM ANALYZE members")
        steady: list[float] = []
        for _ in range(args.repeat):
            spend.append(bare(dsn, _BARE_SPEND, params))
            seconds, report = run()
            steady.append(seconds)
            note(f"steady run {seconds:.2f}s {report}, bare aggregate {spend[-1]:.2f}s")
        base = statistics.median(spend)
        n = f"{members:,}"
        line(f"tier_review_{n}_members_steady_run_s", statistics.median(steady), "s", base,
             TARGET)  # fmt: skip
        line(f"tier_review_{n}_members_first_run_s", first, "s", base, TARGET)
        line(f"tier_review_{n}_members_first_run_vs_update_s", first, "s",
             statistics.median(writes), TARGET)  # fmt: skip
    finally:
        drop_pg_database(name)


def copy_of(name: str) -> str:
    """A copy of the database ``name`` (a file copy: ``CREATE DATABASE … TEMPLATE``)."""
    copy = f"{name}_copy"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return copy


def check(dsn: str, update: str, params: dict[str, object]) -> None:
    """The job's first tiers are the bare statement's (run in a transaction, rolled back)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TEMP TABLE job_tiers AS SELECT id, tier FROM members")
        conn.execute(update, params)
        differ = conn.execute(
            "SELECT count(*) FROM members m JOIN job_tiers j USING (id)"
            " WHERE m.tier IS DISTINCT FROM j.tier"
        ).fetchone()
        conn.rollback()
    note(f"members whose job tier differs from the bare statement's: {differ}")


if __name__ == "__main__":
    main()
