"""Pull: a first-sync snapshot of N members to a new terminal, and 1,000 incremental changes.

Real parts: PostgreSQL, gunicorn (2 workers), HTTP on loopback; the client decompresses and
parses every line as an agent would. The baseline is a bare ``COPY (SELECT …) TO STDOUT`` of
the same member rows in the same run (the floor of reading them at all).

Run: ``.venv/bin/python bench/server_pull.py [--members N] [--full]`` (``--full``: 1,000,000).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.config import load_config, new_config_text  # noqa: E402
from server.db import get_engine  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.process import GunicornProcess  # noqa: E402
from server.services.terminals import add_store, register_terminal  # noqa: E402
from server.services.uow import SqlUnitOfWork  # noqa: E402
from tests.server.conftest import create_pg_database, drop_pg_database  # noqa: E402


def load_members(dsn: str, count: int) -> None:
    """COPY ``count`` members with consecutive change numbers; move the counter past them."""
    with psycopg.connect(dsn) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY members (id, name, cpf_hash, consent_terms, consent_marketing, active, "
                "created_at, updated_at, change_seq) FROM STDIN"
            ) as copy,
        ):
            for i in range(count):
                copy.write_row(
                    (
                        f"M{i:08d}",
                        f"Cliente {i}",
                        f"{i:064x}",
                        True,
                        i % 3 == 0,
                        True,
                        "2026-01-01 00:00:00",
                        "2026-01-01 00:00:00",
                        i + 1,
                    )
                )
        conn.execute("UPDATE change_counter SET value = %s", (count,))
        conn.commit()
        conn.execute("ANALYZE members")
        conn.commit()


def baseline_copy(dsn: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        sink = io.BytesIO()
        with cur.copy(
            "COPY (SELECT id, name, cpf_hash, birth_date, active, consent_marketing, change_seq "
            "FROM members) TO STDOUT"
        ) as copy:
            for block in copy:
                sink.write(block)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 members")
    args = parser.parse_args()
    members = 1_000_000 if args.full else args.members

    name, url = create_pg_database("tc_bench_pull")
    dsn = url.replace("+psycopg", "")
    tmp = Path(tempfile.mkdtemp(prefix="tc_bench_pull_"))
    try:
        config = tmp / "server.toml"
        config.write_text(
            new_config_text(url) + 'log_level = "WARNING"\nratelimit_enabled = false\n'
        )
        upgrade(url)
        load_members(dsn, members)
        app = create_app(load_config(config))
        add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Bench")
        code = register_terminal(
            SqlUnitOfWork.for_app(app), "LOJA-01", "PDV", ttl_hours=1
        ).registration_code
        get_engine(app).dispose()
        baseline = baseline_copy(dsn)

        server = GunicornProcess(config, workers=2, log_path=tmp / "gunicorn.log").start()
        try:
            body = requests.post(
                f"{server.url}/api/v1/terminals/register", json={"code": code}, timeout=10
            ).json()
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {body['credential']}"

            started = time.perf_counter()
            count = 0
            cursor = None
            with session.get(f"{server.url}/api/v1/snapshot", stream=True, timeout=300) as r:
                r.raise_for_status()
                for line in r.iter_lines(chunk_size=256 * 1024):
                    record = json.loads(line)
                    if record.get("type") == "snapshot":
                        cursor = record["cursor"]
                    elif record.get("type") == "end":
                        # the members and the till's own store record
                        assert record["count"] == count == members + 1, (record, count)
                    else:
                        count += 1
            snapshot_s = time.perf_counter() - started

            # 1,000 incremental changes: members renamed with new change numbers
            with psycopg.connect(dsn) as conn:
                conn.execute("UPDATE change_counter SET value = value + 1000")
                conn.execute(
                    "UPDATE members SET name = name || ' (editado)', change_seq = %s + n.rn "
                    "FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM members "
                    "ORDER BY id LIMIT 1000) n WHERE members.id = n.id",
                    (cursor,),
                )
                conn.commit()
            started = time.perf_counter()
            got = 0
            while True:
                page = session.get(
                    f"{server.url}/api/v1/changes",
                    params={"cursor": cursor, "limit": 1000},
                    timeout=30,
                ).json()
                got += len(page["changes"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            incremental_s = time.perf_counter() - started
            assert got == 1000, got
        finally:
            server.close()
    finally:
        drop_pg_database(name)
    target = 60.0 * members / 1_000_000
    print(
        json.dumps(
            {
                "bench": "server_pull",
                "figure": f"snapshot_{members}_members_s",
                "value": round(snapshot_s, 2),
                "unit": "s",
                "baseline": round(baseline, 2),
                "ratio": round(snapshot_s / baseline, 1),
                "target": round(target, 1),
                "met": snapshot_s <= target,
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "server_pull",
                "figure": "snapshot_members_per_s",
                "value": round(members / snapshot_s),
                "unit": "members/s",
                "baseline": round(members / baseline),
                "ratio": round(baseline / snapshot_s, 3),
                "target": round(1_000_000 / 60),
                "met": members / snapshot_s >= 1_000_000 / 60,
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "server_pull",
                "figure": "incremental_1000_changes_s",
                "value": round(incremental_s, 3),
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": 1.0,
                "met": incremental_s <= 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
