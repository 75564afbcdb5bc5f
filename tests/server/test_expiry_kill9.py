"""Kill -9 of a process running the expiry job, 20 times mid-run, then a run to the end: the
ledger and every balance equal those of a single clean run on the same data (PostgreSQL).

Each kill lands at a random moment of a real child process (``tillclub``'s code, a real
database connection), once that run has committed something: during the read of new entries
into ``ledger_due``, between batches or inside one. What a killed batch wrote is rolled back
by PostgreSQL; what a committed batch wrote carries derived ids, so the next run finds it done.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from server.migrate import upgrade

from .conftest import create_pg_database, drop_pg_database
from .ledger_world import load

MEMBERS = 3000
CHILD = """
import sys
from server import create_app
from server.jobs.contract import JobContext
from server.services.expiry import expire_and_mature
from tests.server.conftest import make_config
from tests.server.ledger_world import NOW
app = create_app(make_config(sys.argv[1]))
report = expire_and_mature(JobContext(app, NOW, 10, "kill9"))
print(report.summary())
"""

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def two_databases() -> Iterator[tuple[str, str]]:
    made = [create_pg_database("tc_kill9") for _ in range(2)]
    try:
        for _, url in made:
            upgrade(url)
            load(url.replace("+psycopg", ""), MEMBERS)
        yield made[0][1], made[1][1]
    finally:
        for name, _ in made:
            drop_pg_database(name)


def _start(url: str) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url], cwd=root, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _ledger(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        entries = conn.execute(
            "SELECT entry_id, member_id, currency, kind, amount, effective_at, expires_at, "
            "reverses FROM ledger_entries ORDER BY entry_id"
        ).fetchall()
        balances = conn.execute(
            "SELECT member_id, currency, sum(amount) FROM ledger_entries "
            "GROUP BY member_id, currency ORDER BY member_id, currency"
        ).fetchall()
    return entries, balances


def _progress(url: str) -> tuple[int, int]:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        cursor = conn.execute("SELECT coalesce(max(position), 0) FROM job_cursors").fetchone()
    return _written(url), int(cursor[0])  # type: ignore[index]


def _written(url: str) -> int:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_entries WHERE entry_id LIKE 'E:HQ:%'")
        return int(row.fetchone()[0])  # type: ignore[index]


def test_twenty_kills_mid_run_then_a_full_run_equal_one_clean_run(
    two_databases: tuple[str, str],
) -> None:
    killed_url, clean_url = two_databases
    rnd = random.Random(17)
    mid_run = 0
    for kill in range(20):
        before = _progress(killed_url)
        child = _start(killed_url)
        # Into the job: once this run has committed something (a cursor step or a batch),
        # a little more, then the kill lands wherever the run is. The first ten wait for any
        # commit (on a busy machine they all land in the reading of new entries); the last ten
        # for a batch of written entries, so kills land among the batches too.
        part = slice(0, 2) if kill < 10 else slice(0, 1)  # (written, cursor) or written only
        deadline = time.monotonic() + 120
        while _progress(killed_url)[part] == before[part] and child.poll() is None:
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.02)
        time.sleep(rnd.uniform(0.0, 0.15))
        if child.poll() is None:
            mid_run += 1
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert mid_run >= 15, f"only {mid_run} of 20 kills landed while the job ran"
    partial = _written(killed_url)
    last = _start(killed_url)
    out, err = last.communicate(timeout=600)
    assert last.returncode == 0, err
    clean = _start(clean_url)
    clean_out, err = clean.communicate(timeout=600)
    assert clean.returncode == 0, err
    assert "changed=0" not in clean_out  # the clean run had work to do
    # The kills interrupted real work: some batches had committed, not all of them.
    assert 0 < partial < _written(clean_url), (partial, _written(clean_url))
    assert _ledger(killed_url) == _ledger(clean_url)
    # And a further run finds nothing left: the kills left no half-written member behind.
    again = _start(killed_url)
    out, _ = again.communicate(timeout=600)
    assert "changed=0" in out, out
