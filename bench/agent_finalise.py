"""Finalise latency at the till: identify + price 20 lines + one durable commit, p50/p99.

Baseline, measured in the same run on the same disk, one commit just before each sale: a bare
single-row ``INSERT`` committed with WAL and ``synchronous=FULL``; the target is a finalise
p99 within 3x of its p99 (issue 28). Also measured with 100,000
unsent events in the outbox, to show a long offline stretch does not slow the till. Last, with
the sync worker stopped, the WAL frames (pages) one sale's commit writes against the floor's
one: a figure the machine's load does not move. Prints one JSON object per figure.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.config import load_config  # noqa: E402
from agent.journal import Outbox  # noqa: E402
from agent.service import Agent, settle_heap  # noqa: E402
from loyalty.identification import card_number  # noqa: E402
from tests.agent.sale.world import (  # noqa: E402
    campaign_change,
    card_change,
    fake_credential,
    member_change,
    seed_cache,
    write_config,
)

SALES = int(os.environ.get("BENCH_SALES", "2000"))
BACKLOG = 100_000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class Floor:
    """The reference: a bare single-row ``INSERT`` committed with WAL and ``synchronous=FULL``,
    in its own file on the same disk, one commit interleaved before each sale so both see the
    same disk (a busy neighbour, a slow fsync) at the same moments."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        self.times: list[float] = []

    def once(self) -> None:
        t = time.perf_counter()
        self.conn.execute("BEGIN")
        self.conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {len(self.times)}",))
        self.conn.execute("COMMIT")
        self.times.append(time.perf_counter() - t)


BASKET = [
    {
        "sku": "ARROZ" if i == 0 else f"78910001{i:05d}",
        "qty": str(1 + i % 3),
        "unit_price": f"{3 + i % 7}.49",
        "category": "mercearia",
    }
    for i in range(20)
]


COMMITS: list[float] = []


def timed_commits(agent: Agent) -> None:
    """Time each ``Journal.record`` too, to tell the disk's share from the code's."""
    record = agent.journal.record

    def wrapped(*args: object, **kw: object) -> None:
        t = time.perf_counter()
        record(*args, **kw)  # type: ignore[arg-type]
        COMMITS.append(time.perf_counter() - t)

    agent.journal.record = wrapped  # type: ignore[method-assign]


def sales(agent: Agent, prefix: str, n: int, floor: Floor | None = None) -> list[float]:
    out = []
    for i in range(n):
        if floor is not None:
            floor.once()
        pos = f"{prefix}{i}"
        t = time.perf_counter()
        agent.sales.identify(pos, card_number(1 + i % 500))
        agent.sales.price(pos, BASKET)
        agent.sales.finalise(pos)
        out.append(time.perf_counter() - t)
    return out


def backlog(agent: Agent, n: int) -> None:
    payload = agent.journal_conn.execute("SELECT payload FROM outbox LIMIT 1").fetchone()[0]
    now = time.time()
    agent.journal_conn.execute("BEGIN")
    agent.journal_conn.executemany(
        "INSERT INTO outbox (event_id, type, payload, created_at) VALUES (?, 'sale', ?, ?)",
        ((f"V:BACKLOG:{i:012d}", payload, now) for i in range(n)),
    )
    agent.journal_conn.execute("COMMIT")
    # A real backlog builds up sale by sale, checkpointed as it goes; this bulk load is one
    # giant WAL, so fold it into the database before measuring.
    agent.journal_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def wal_frames(path: Path) -> list[int]:
    """Frames per commit in the WAL file at ``path``, from its start (the frames of this WAL
    generation: each frame header carries the WAL header's salts)."""
    data = path.read_bytes()
    page = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    commits, frames, at = [], 0, 32
    while at + 24 + page <= len(data) and data[at + 8 : at + 16] == salts:
        frames += 1
        if struct.unpack(">I", data[at + 4 : at + 8])[0]:  # a commit's last frame
            commits.append(frames)
            frames = 0
        at += 24 + page
    return commits


def frames_per_commit(conn: sqlite3.Connection, wal: Path, commit: Callable[[int], None]) -> float:
    """Mean WAL frames of 200 commits made by ``commit(i)``, in a WAL just emptied."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for i in range(200):
        commit(i)
    counts = wal_frames(wal)
    return sum(counts) / len(counts)


def emit(
    figure: str, value: float, unit: str, baseline: float | None, target: str, met: bool
) -> None:
    print(
        json.dumps(
            {
                "bench": "agent_finalise",
                "figure": figure,
                "value": round(value, 4),
                "unit": unit,
                "baseline": None if baseline is None else round(baseline, 4),
                "ratio": None if not baseline else round(value / baseline, 2),
                "target": target,
                "met": met,
            }
        ),
        flush=True,
    )


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-agent-", dir=os.environ.get("BENCH_DIR")))
    try:
        changes = [campaign_change(1)]
        for i in range(1, 501):
            changes += [
                member_change(2 * i, f"M{i}"),
                card_change(2 * i + 1, card_number(i), f"M{i}"),
            ]
        write_config(tmp)
        fake_credential(tmp)
        seed_cache(tmp / "cache.sqlite3", changes)
        agent = Agent(load_config(tmp / "agent.toml"))
        # As at a real till, the sync worker runs beside the sales (here offline: its server
        # refuses connections), backing off and checkpointing the journal between sales.
        agent.start(sync=True)
        sales(agent, "warm", 200)
        settle_heap()  # as `tillclub agent run` does once started
        floor_empty, floor_full = Floor(tmp / "floor.sqlite3"), Floor(tmp / "floor2.sqlite3")
        timed_commits(agent)
        empty = [x * 1000 for x in sales(agent, "a", SALES, floor_empty)]
        code = [x - c * 1000 for x, c in zip(empty, COMMITS, strict=True)]
        commits = [c * 1000 for c in COMMITS]
        backlog(agent, BACKLOG)
        depth = Outbox(agent.journal_conn).depth()  # rows put in behind the agent's count
        sales(agent, "warm-full", 200)
        full = [x * 1000 for x in sales(agent, "b", SALES, floor_full)]
        agent.stop()  # no checkpoint beside the count
        agent.journal_conn.execute("PRAGMA wal_autocheckpoint=0")

        def one_sale(i: int) -> None:
            sales(agent, f"frames{i}-", 1)

        def one_floor_commit(i: int) -> None:  # as Floor.once, untimed
            floor_empty.conn.execute("BEGIN")
            floor_empty.conn.execute("INSERT INTO t (v) VALUES (?)", (f"frames {i}",))
            floor_empty.conn.execute("COMMIT")

        sale_frames = frames_per_commit(agent.journal_conn, tmp / "journal.sqlite3-wal", one_sale)
        floor_empty.conn.execute("PRAGMA wal_autocheckpoint=0")
        floor_frames = frames_per_commit(
            floor_empty.conn, tmp / "floor.sqlite3-wal", one_floor_commit
        )
        agent.close()
        base = [x * 1000 for x in floor_empty.times]
        b50, b99 = pct(base, 0.5), pct(base, 0.99)
        emit("floor_insert_commit_p50", b50, "ms", None, "reference", True)
        emit("floor_insert_commit_p99", b99, "ms", None, "reference", True)
        for name, xs, floor in (
            ("empty_outbox", empty, base),
            (f"outbox_{depth}_unsent", full, [x * 1000 for x in floor_full.times]),
        ):
            p50, p99, f50, f99 = pct(xs, 0.5), pct(xs, 0.99), pct(floor, 0.5), pct(floor, 0.99)
            emit(f"finalise_p50_{name}", p50, "ms", f50, "reference", True)
            emit(
                f"finalise_p99_{name}",
                p99,
                "ms",
                f99,
                "p99 <= 5 ms and <= 3x floor p99",
                p99 <= 5 and p99 <= 3 * f99,
            )
        emit("sale_commit_p50", pct(commits, 0.5), "ms", b50, "reference", True)
        emit("sale_commit_p99", pct(commits, 0.99), "ms", b99, "reference", True)
        emit("code_path_p50_without_commit", pct(code, 0.5), "ms", None, "reference", True)
        emit("code_path_p99_without_commit", pct(code, 0.99), "ms", None, "reference", True)
        emit("wal_frames_per_sale_commit", sale_frames, "pages", floor_frames, "reference", True)
        e99, f99 = pct(empty, 0.99), pct(full, 0.99)
        emit(
            "finalise_p99_full_vs_empty_outbox",
            f99,
            "ms",
            e99,
            "full no slower (<= 1.2x)",
            f99 <= 1.2 * e99,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
