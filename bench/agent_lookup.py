"""Member lookup by card among 1,000,000 cached members: p50/p99 of ``member_by_card``.

The cache is filled through the same writer the pull sync uses (``apply_changes``, pages of
5,000). Baseline in the same run: a bare primary-key ``SELECT`` on a one-row table, i.e. what
SQLite costs for any query at all. Prints one JSON object per figure.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.cache import CacheLookups, apply_changes, connect_cache  # noqa: E402
from agent.cache.card_hash import CardHasher  # noqa: E402
from loyalty.identification import card_number, cpf_hash  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000000"))
LOOKUPS = 20_000
SECRET = b"h" * 32


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def fill(conn: sqlite3.Connection) -> float:
    started = time.perf_counter()
    page = 5000
    seq = 0
    for first in range(1, MEMBERS + 1, page):
        changes = []
        for i in range(first, min(first + page, MEMBERS + 1)):
            seq += 2
            mid = f"M{i}"
            changes.append(
                {
                    "seq": seq,
                    "type": "member",
                    "id": mid,
                    "deleted": False,
                    "data": {
                        "id": mid,
                        "name": f"Member {i}",
                        "active": True,
                        "cpf_hash": f"{i:064x}",
                    },
                }
            )
            changes.append(
                {
                    "seq": seq + 1,
                    "type": "card",
                    "id": card_number(i),
                    "deleted": False,
                    "data": {
                        "number": card_number(i),
                        "member_id": mid,
                        "status": "active",
                        "replaced_by": None,
                    },
                }
            )
        apply_changes(conn, changes, seq + 1)
    return time.perf_counter() - started


def emit(
    figure: str, value: float, unit: str, baseline: float | None, target: str, met: bool
) -> None:
    print(
        json.dumps(
            {
                "bench": "agent_lookup",
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
    tmp = Path(tempfile.mkdtemp(prefix="bench-lookup-", dir=os.environ.get("BENCH_DIR")))
    try:
        conn, _ = connect_cache(
            tmp / "cache.sqlite3", CardHasher(b"bench card key 32 bytes long....")
        )
        seconds = fill(conn)
        look = CacheLookups(conn)
        rng = random.Random(1)
        cards = [card_number(rng.randint(1, MEMBERS)) for _ in range(LOOKUPS)]
        hashes = [f"{rng.randint(1, MEMBERS):064x}" for _ in range(LOOKUPS)]
        for c in cards[:1000]:
            look.member_by_card(c)
        base_conn = sqlite3.connect(tmp / "one.sqlite3")
        base_conn.execute("CREATE TABLE one (id TEXT PRIMARY KEY, v TEXT)")
        base_conn.execute("INSERT INTO one VALUES ('a', 'b')")
        base = []
        for _ in range(LOOKUPS):
            t = time.perf_counter()
            base_conn.execute("SELECT v FROM one WHERE id = ?", ("a",)).fetchone()
            base.append((time.perf_counter() - t) * 1000)
        by_card, by_hash = [], []
        for c, h in zip(cards, hashes, strict=True):
            t = time.perf_counter()
            assert look.member_by_card(c) is not None
            by_card.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert look.member_by_cpf_hash(h) is not None
            by_hash.append((time.perf_counter() - t) * 1000)
        size = (tmp / "cache.sqlite3").stat().st_size
        b50, b99 = pct(base, 0.5), pct(base, 0.99)
        emit(
            "cache_fill_members_per_second", MEMBERS / seconds, "members/s", None, "reference", True
        )
        emit("cache_size_mb", size / 1e6, "MB", None, "reference", True)
        emit("lookup_by_card_p50", pct(by_card, 0.5), "ms", b50, "reference", True)
        p99 = pct(by_card, 0.99)
        emit("lookup_by_card_p99", p99, "ms", b99, f"<= 1 ms among {MEMBERS} members", p99 <= 1)
        h99 = pct(by_hash, 0.99)
        emit("lookup_by_cpf_hash_p99", h99, "ms", b99, f"<= 1 ms among {MEMBERS} members", h99 <= 1)
        # One real keyed hash per CPF lookup, as the till computes it.
        t = time.perf_counter()
        for _ in range(1000):
            cpf_hash("52998224725", SECRET)
        emit("cpf_hmac_mean", (time.perf_counter() - t), "ms", None, "reference", True)
        conn.close()
        base_conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
