"""Ingest: sale events per second applied by the server (gunicorn, 2 workers, PostgreSQL,
batches of 200, 4 concurrent pushers), against the floor of a bare psycopg batched
``INSERT … ON CONFLICT DO NOTHING`` of the same rows in the same run.

Run: ``.venv/bin/python bench/server_ingest.py [--events N] [--full]``. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loyalty.rewards.ids import make_entry_id, make_sale_id  # noqa: E402
from server import create_app  # noqa: E402
from server.config import load_config, new_config_text  # noqa: E402
from server.db import get_engine  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.process import GunicornProcess  # noqa: E402
from server.services.campaign_publish import put_campaign  # noqa: E402
from server.services.terminals import add_store, register_terminal  # noqa: E402
from server.services.uow import SqlUnitOfWork  # noqa: E402
from tests.server.conftest import create_pg_database, drop_pg_database  # noqa: E402

BATCH = 200
PUSHERS = 4
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
CAMPAIGN = {
    "rules": [
        {
            "id": "R1",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        }
    ]
}


def make_events(store: str, terminal: str, count: int) -> list[dict[str, Any]]:
    events = []
    for i in range(count):
        sale_id = make_sale_id(store, terminal, i)
        at = (T0 + dt.timedelta(seconds=i)).isoformat()
        price = f"{10 + i % 50}.90"
        events.append(
            {
                "type": "sale",
                "event_id": f"V:{store}:{terminal}:{i:012d}",
                "store_id": store,
                "terminal_id": terminal,
                "occurred_at": at,
                "sale_id": sale_id,
                "member_id": f"M{i % 1000}",
                "currency": "BRL",
                "subtotal": price,
                "discount_total": "0.00",
                "total": price,
                "lines": [
                    {
                        "line_no": 1,
                        "sku": f"SKU{i % 300}",
                        "quantity": "1",
                        "unit_price": price,
                        "gross": price,
                        "discount": "0.00",
                        "net": price,
                    }
                ],
                "ledger_entries": [
                    {
                        "entry_id": make_entry_id(store, terminal, i),
                        "member_id": f"M{i % 1000}",
                        "currency": "points",
                        "kind": "earn",
                        "amount": str(10 + i % 50),
                        "effective_at": at,
                        "sale_id": sale_id,
                        "rule_id": "R1",
                    }
                ],
            }
        )
    return events


def push_all(url: str, credential: str, events: list[dict[str, Any]], errors: list[str]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {credential}"
    for start in range(0, len(events), BATCH):
        r = session.post(
            f"{url}/api/v1/events", json={"events": events[start : start + BATCH]}, timeout=120
        )
        body = r.json()
        if r.status_code != 200 or body["rejected"] or body["flags"]:
            errors.append(f"{r.status_code} {str(body)[:300]}")


def floor_rate(url: str, per_pusher: list[list[dict[str, Any]]]) -> float:
    """The same rows through bare psycopg executemany, 4 connections, a commit per batch."""
    dsn = url.replace("+psycopg", "")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def run(events: list[dict[str, Any]]) -> None:
        with psycopg.connect(dsn) as conn:
            for start in range(0, len(events), BATCH):
                chunk = events[start : start + BATCH]
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO applied_events "
                        "(event_id, event_type, terminal_id, store_id, applied_at) "
                        "VALUES (%s, 'sale', %s, %s, %s) ON CONFLICT DO NOTHING",
                        [(e["event_id"], e["terminal_id"], e["store_id"], now) for e in chunk],
                    )
                    cur.executemany(
                        "INSERT INTO sales (sale_id, event_id, store_id, terminal_id, member_id, "
                        "occurred_at, currency, subtotal, discount_total, total, reprice_status, "
                        "recorded_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, 'BRL', %s, 0, %s, 'match', %s) "
                        "ON CONFLICT DO NOTHING",
                        [
                            (
                                e["sale_id"],
                                e["event_id"],
                                e["store_id"],
                                e["terminal_id"],
                                e["member_id"],
                                e["occurred_at"],
                                int(Decimal(e["total"]) * 100),
                                int(Decimal(e["total"]) * 100),
                                now,
                            )
                            for e in chunk
                        ],
                    )
                    cur.executemany(
                        "INSERT INTO sale_lines "
                        "(sale_id, line_no, sku, quantity, unit_price, gross, discount, net) "
                        "VALUES (%s, 1, %s, 1000, %s, %s, 0, %s) ON CONFLICT DO NOTHING",
                        [
                            (
                                e["sale_id"],
                                e["lines"][0]["sku"],
                                *(int(Decimal(e["total"]) * 100),) * 3,
                            )
                            for e in chunk
                        ],
                    )
                    cur.executemany(
                        "INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, "
                        "effective_at, sale_id, event_id, recorded_at, change_seq) VALUES "
                        "(%s, %s, 'points', 'earn', %s, %s, %s, %s, %s, 0) ON CONFLICT DO NOTHING",
                        [
                            (
                                x["entry_id"],
                                x["member_id"],
                                int(x["amount"]) * 100,
                                x["effective_at"],
                                e["sale_id"],
                                e["event_id"],
                                now,
                            )
                            for e in chunk
                            for x in e["ledger_entries"]
                        ],
                    )
                conn.commit()

    threads = [threading.Thread(target=run, args=(events,)) for events in per_pusher]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(len(e) for e in per_pusher) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--events", type=int, default=24_000, help="total sale events (default 24000)"
    )
    parser.add_argument("--full", action="store_true", help="100000 events")
    args = parser.parse_args()
    total = 100_000 if args.full else args.events
    per = total // PUSHERS

    name, url = create_pg_database("tc_bench_ingest")
    floor_name, floor_url = create_pg_database("tc_bench_floor")
    tmp = Path(tempfile.mkdtemp(prefix="tc_bench_"))
    try:
        config = tmp / "server.toml"
        config.write_text(
            new_config_text(url) + 'log_level = "WARNING"\nratelimit_enabled = false\n'
        )
        upgrade(url)
        upgrade(floor_url)
        app = create_app(load_config(config))
        codes = []
        add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Bench")
        put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", CAMPAIGN)
        for i in range(PUSHERS):
            codes.append(
                register_terminal(
                    SqlUnitOfWork.for_app(app), "LOJA-01", f"PDV {i}", ttl_hours=1
                ).registration_code
            )
        get_engine(app).dispose()

        server = GunicornProcess(config, workers=2, log_path=tmp / "gunicorn.log").start()
        try:
            creds, per_pusher = [], []
            for code in codes:
                body = requests.post(
                    f"{server.url}/api/v1/terminals/register", json={"code": code}, timeout=10
                ).json()
                creds.append(body["credential"])
                per_pusher.append(make_events(body["store_id"], body["terminal_id"], per))
            # warm-up: one batch each (connections, rule compilation), not timed
            warm = [events[:BATCH] for events in per_pusher]
            errors: list[str] = []
            for cred, events in zip(creds, warm, strict=True):
                push_all(server.url, cred, events, errors)
            rest = [events[BATCH:] for events in per_pusher]
            threads = [
                threading.Thread(target=push_all, args=(server.url, c, e, errors))
                for c, e in zip(creds, rest, strict=True)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
        finally:
            server.close()
        if errors:
            raise SystemExit(f"push errors: {errors[:3]}")
        applied = sum(len(e) for e in rest)
        rate = applied / elapsed
        floor = floor_rate(floor_url, rest)
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            row = conn.execute("SELECT count(*) FROM applied_events").fetchone()
        assert row is not None, row
        assert row[0] == per * PUSHERS, row
    finally:
        drop_pg_database(name)
        drop_pg_database(floor_name)
    print(
        json.dumps(
            {
                "bench": "server_ingest",
                "figure": "sale_events_per_s",
                "value": round(rate, 1),
                "unit": "events/s",
                "baseline": None,
                "ratio": None,
                "target": 2000,
                "met": rate >= 2000,
            }
        )
    )
    ratio = rate / floor
    print(
        json.dumps(
            {
                "bench": "server_ingest",
                "figure": "share_of_bare_insert_floor",
                "value": round(rate, 1),
                "unit": "events/s",
                "baseline": round(floor, 1),
                "ratio": round(ratio, 3),
                "target": 0.25,
                "met": ratio >= 0.25,
            }
        )
    )


if __name__ == "__main__":
    main()
