"""Push cost of the till-issues bookkeeping (``server/services/ingest_clock.py``) on PostgreSQL.

Pushes batches of 200 member sales (each earning points, dated now, with the till's clock
header) through the app over the Flask test client and measures, per push, the CPU time of
the whole request and of ``ingest_clock.record_push`` inside it. The baseline is the request
without the bookkeeping, measured in the same run (interleaved: even pushes with, odd without).

Run: ``.venv/bin/python bench/ingest_clock.py [--pushes N]``. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.db import get_engine  # noqa: E402
from server.services import ingest_clock  # noqa: E402
from server.services.members import add_member  # noqa: E402
from server.services.uow import SqlUnitOfWork  # noqa: E402
from tests.server.conftest import enrol_till  # noqa: E402
from tests.support.databases import migrated_database  # noqa: E402

SECRETS = {
    "SECRET_KEY": base64.b64encode(b"s" * 32).decode(),
    "CPF_KEY": base64.b64encode(b"k" * 32).decode(),
    "CPF_HASH_SECRET": base64.b64encode(b"h" * 32).decode(),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=40)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        migrated_database("postgresql", Path(tmp), "tc_bench18") as url,
    ):
        app = create_app(
            {**SECRETS, "DATABASE_URL": url, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "ERROR"}
        )
        client = app.test_client()
        till = enrol_till(app, client)
        for i in range(200):
            add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], f"m{i}", "M")
        real = ingest_clock.record_push
        spent: list[float] = []

        def timed(*a: Any, **kw: Any) -> Any:
            started = time.process_time()
            try:
                return real(*a, **kw)
            finally:
                spent.append(time.process_time() - started)

        def skip(*a: Any, **kw: Any) -> list[Any]:
            return []

        with_hook: list[float] = []
        without: list[float] = []
        for n in range(args.pushes):
            now = dt.datetime.now(dt.UTC)
            events = [till.sale(f"m{i}", ["10.00"], points="10", at=now) for i in range(200)]
            ingest_clock.record_push = timed if n % 2 == 0 else skip
            headers = dict(till.headers) | {"X-Tillclub-Clock": now.isoformat()}
            started = time.process_time()
            r = client.post("/api/v1/events", json={"events": events}, headers=headers)
            elapsed = time.process_time() - started
            assert r.status_code == 200, r.status_code
            assert not r.get_json()["rejected"], r.get_json()
            (with_hook if n % 2 == 0 else without).append(elapsed)
        ingest_clock.record_push = real
        get_engine(app).dispose()
    base = statistics.median(without[2:])
    full = statistics.median(with_hook[2:])
    hook = statistics.median(spent[2:])
    load = os.getloadavg()[0]
    for figure, value, baseline in (
        ("push CPU ms, 200 sales, with till-issues bookkeeping", full * 1000, base * 1000),
        ("till-issues bookkeeping CPU ms per push", hook * 1000, base * 1000),
    ):
        print(
            json.dumps(
                {
                    "bench": "ingest_clock",
                    "figure": figure,
                    "value": round(value, 2),
                    "unit": "ms",
                    "baseline": round(baseline, 2),
                    "ratio": round(value / baseline, 3),
                    "target": None,
                    "met": None,
                    "load1": round(load, 2),
                }
            )
        )


if __name__ == "__main__":
    main()
