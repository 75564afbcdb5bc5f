"""Import: 1,000,000 members and 20,000,000 history sales on PostgreSQL (100,000 members on
SQLite) through ``server.services.imports.run``, against a bare load of the same rows into the
same tables in the same run (PostgreSQL ``COPY``; SQLite one ``executemany`` transaction).

Each import runs in a child process, so its peak memory (``ru_maxrss``) is the importer's
alone. The baseline takes the rows the import wrote (``COPY … TO``), empties the tables and
loads them back (``COPY … FROM``, indexes and constraints in place): the floor for writing
those rows, without reading or checking a CSV.

Run: ``.venv/bin/python bench/import_history.py [--scale 0.01] [--db postgresql|sqlite|both]``.
``--scale 1`` is the issue's size (1 M members, 20 M sales; 100 k members on SQLite).
Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.db import get_engine  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.services.terminals import add_store  # noqa: E402
from server.services.uow import SqlUnitOfWork  # noqa: E402
from tests.server.conftest import SECRETS, create_pg_database, drop_pg_database  # noqa: E402
from tests.server.services.imports.files import (  # noqa: E402
    MEMBERS_HEADER,
    SALES_HEADER,
    member_lines,
    sales_lines,
)

STORES = ("LOJA-01", "LOJA-02", "LOJA-03")
CHILD = """
import json, sys, time
from server import create_app
from server.services import imports
from server.services.uow import SqlUnitOfWork
app = create_app({"DATABASE_URL": sys.argv[1], "LOG_LEVEL": "WARNING", **json.loads(sys.argv[4])})
options = imports.options_for_app(app, batch_size=int(sys.argv[5]))
start = time.perf_counter()
report = imports.run(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], sys.argv[2],
                     sys.argv[3], options)
import resource
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak, **report.counts()}))
"""
TABLES = {"members": ("members", "cards", "import_keys", "portal_consents"),
          "sales": ("sales",)}  # fmt: skip


def emit(
    figure: str, value: float, unit: str, baseline: float | None, target: str, met: bool
) -> None:
    print(json.dumps({
        "bench": "import_history", "figure": figure, "value": round(value, 3), "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if not baseline else round(value / baseline, 2), "target": target,
        "met": met,
    }), flush=True)  # fmt: skip


def write_files(folder: Path, members: int, sales: int) -> tuple[Path, Path]:
    m, s = folder / "members.csv", folder / "sales.csv"
    with open(m, "w", encoding="utf-8") as fh:
        fh.write(MEMBERS_HEADER)
        fh.writelines(member_lines(members))
    with open(s, "w", encoding="utf-8") as fh:
        fh.write(SALES_HEADER)
        fh.writelines(sales_lines(sales, members, STORES))
    return m, s


def import_child(url: str, kind: str, path: Path, batch: int) -> tuple[dict[str, float], float]:
    """The import's report and seconds, and the child's peak memory in MB."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, kind, str(path), json.dumps(SECRETS), str(batch)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report, float(report["peak_mb"])


def copy_baseline_pg(url: str, tables: tuple[str, ...]) -> float:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        dumps: dict[str, bytes] = {}
        for t in tables:
            buf = io.BytesIO()
            with conn.cursor().copy(f"COPY {t} TO STDOUT (FORMAT binary)") as cp:
                for chunk in cp:
                    buf.write(chunk)
            dumps[t] = buf.getvalue()
        conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        conn.commit()
        start = time.perf_counter()
        for t in tables:
            with conn.cursor().copy(f"COPY {t} FROM STDIN (FORMAT binary)") as cp:
                data = dumps[t]
                for i in range(0, len(data), 1 << 20):
                    cp.write(data[i : i + (1 << 20)])
        conn.commit()
        return time.perf_counter() - start


def executemany_baseline_sqlite(path: str, tables: tuple[str, ...]) -> float:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        rows = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
        conn.execute("PRAGMA foreign_keys = OFF")
        for t in reversed(tables):
            conn.execute(f"DELETE FROM {t}")
        conn.commit()
        conn.execute("PRAGMA foreign_keys = ON")
        start = time.perf_counter()
        for t in tables:
            if rows[t]:
                marks = ", ".join("?" * len(rows[t][0]))
                conn.executemany(f"INSERT INTO {t} VALUES ({marks})", rows[t])
        conn.commit()
        return time.perf_counter() - start
    finally:
        conn.close()


def bench(db: str, members: int, sales: int, folder: Path) -> None:
    if db == "postgresql":
        name, url = create_pg_database("bench_import")
    else:
        name, url = "", f"sqlite:///{folder / 'server.db'}"
    try:
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", **SECRETS})
        for store in STORES:
            add_store(SqlUnitOfWork.for_app(app), store, store)
        get_engine(app).dispose()
        m_file, s_file = write_files(folder, members, sales)
        peak = 0.0
        for kind, path, rows, batch in (("members", m_file, members, 5000),
                                        ("sales", s_file, sales, 20000)):  # fmt: skip
            if rows == 0:
                continue
            report, peak_mb = import_child(url, kind, path, batch)
            peak = max(peak, peak_mb)
            assert report["created"] == rows, report
            tables = TABLES[kind]
            if db == "postgresql":
                base = copy_baseline_pg(url, tables)
            else:
                base = executemany_baseline_sqlite(str(folder / "server.db"), tables)
            seconds = report["seconds"]
            emit(
                f"{db}_{kind}_{rows}_seconds",
                seconds,
                "s",
                base,
                "<= 5x the bare load",
                seconds <= 5 * base,
            )
            emit(f"{db}_{kind}_rows_per_second", rows / seconds, "rows/s", None, "-", True)
        emit(f"{db}_peak_memory", peak, "MB", None, "<= 1024 MB", peak <= 1024)
    finally:
        if name:
            drop_pg_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01, help="1 = 1 M members, 20 M sales")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args()
    for db in ("postgresql", "sqlite") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory(
            prefix="bench-import-", dir=os.environ.get("BENCH_DIR")
        ) as tmp:
            if db == "postgresql":
                members, sales = int(1_000_000 * args.scale), int(20_000_000 * args.scale)
            else:
                members, sales = int(100_000 * args.scale), 0
            bench(db, max(members, 1), sales, Path(tmp))


if __name__ == "__main__":
    main()
