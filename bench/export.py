"""Full export of N members (with cards, a CPF each and a points lot each) on SQLite: wall time
and peak memory (RSS) of the process, against a baseline measured in the same run on the same
database: the same members read whole into memory (``fetchall``) and written as one CSV, what
an export that is not streamed does. The target is a peak that does not grow with N: the
streamed export's peak at N stays within 1.5x of its peak at N/10, where the baseline's grows
with N. Each measurement runs in its own process (``ru_maxrss`` is per process).

    python bench/export.py [--members 200000]

Prints one JSON object per figure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _app(url: str):  # type: ignore[no-untyped-def]
    from server import create_app
    from tests.server.conftest import make_config

    return create_app(make_config(url))


def seed(url: str, n: int) -> None:
    from sqlalchemy import insert

    from loyalty.identification.ean import card_number
    from server.db import new_session
    from server.migrate import upgrade
    from server.models import Card, CardStatus, LedgerEntryRow, Member

    upgrade(url)
    app = _app(url)
    cipher = app.extensions["tillclub.cpf"]
    now = dt.datetime.now(dt.UTC)
    cpf = "52998224725"
    step = 10_000
    with new_session(app) as s, s.begin():
        for start in range(0, n, step):
            ids = [f"M{i:09d}" for i in range(start, min(n, start + step))]
            s.execute(insert(Member), [
                {"id": m, "name": f"Cliente {m} da Silva", "cpf_encrypted": cipher.encrypt(cpf, m),
                 "email": f"{m.lower()}@example.com", "phone": "+5511987654321",
                 "consent_terms": True, "consent_marketing": False, "active": True,
                 "created_at": now, "updated_at": now, "change_seq": 1} for m in ids])  # fmt: skip
            s.execute(insert(Card), [
                {"number": card_number(int(m[1:]) + 1), "member_id": m,
                 "status": CardStatus.ACTIVE, "issued_at": now, "updated_at": now,
                 "change_seq": 1} for m in ids])  # fmt: skip
            s.execute(insert(LedgerEntryRow), [
                {"entry_id": f"E:LOJA-01:T1:{int(m[1:]):012d}", "member_id": m,
                 "currency": "points", "kind": "earn", "amount": Decimal(100),
                 "effective_at": now - dt.timedelta(days=3),
                 "expires_at": now + dt.timedelta(days=300), "store_id": "LOJA-01",
                 "terminal_id": "T1", "recorded_at": now, "change_seq": 1}
                for m in ids])  # fmt: skip


def _peak_kb() -> int:
    """This process's peak RSS (``VmHWM``: per address space, so not the parent's, which
    ``ru_maxrss`` would carry over the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(mode: str, url: str, out: str) -> None:
    app = _app(url)
    started = time.perf_counter()
    if mode == "export":
        from server.services.exports import export_chain

        report = export_chain(app, Path(out), actor_type="cli", actor_id="bench")
        rows = report.rows["members"]
    else:  # baseline: the members read whole, then written
        from sqlalchemy import select

        from server.db import new_session
        from server.models import Member

        cipher = app.extensions["tillclub.cpf"]
        with new_session(app) as s:
            everything = s.execute(
                select(Member.id, Member.name, Member.cpf_encrypted, Member.email, Member.phone,
                       Member.created_at)
            ).all()  # fmt: skip
        with open(out, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            for r in everything:
                w.writerow([r[0], r[1], cipher.decrypt(r[2], r[0]), r[3], r[4], r[5].isoformat()])
        rows = len(everything)
    seconds = time.perf_counter() - started
    peak_kb = _peak_kb()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def measure(mode: str, url: str, out: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, url, str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def figure(name: str, value: float, unit: str, baseline: float, target: str, met: bool) -> None:
    print(json.dumps({
        "bench": "export", "figure": name, "value": round(value, 3), "unit": unit,
        "baseline": round(baseline, 3), "ratio": round(value / baseline, 3) if baseline else None,
        "target": target, "met": met,
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    n = args.members
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        folder = Path(tmp)
        small_url = f"sqlite:///{folder / 'small.db'}"
        large_url = f"sqlite:///{folder / 'large.db'}"
        seed(small_url, max(1, n // 10))
        seed(large_url, n)
        small = measure("export", small_url, folder / "small.zip")
        large = measure("export", large_url, folder / "large.zip")
        base_small = measure("baseline", small_url, folder / "small.csv")
        base_large = measure("baseline", large_url, folder / "large.csv")
        size_mb = (folder / "large.zip").stat().st_size / 2**20
    figure(f"export_seconds_{n}", large["seconds"], "s", base_large["seconds"],
           "reported (baseline: members only, CSV only)", True)  # fmt: skip
    figure(f"export_peak_rss_{n}", large["peak_mb"], "MB", base_large["peak_mb"],
           "<= baseline", large["peak_mb"] <= base_large["peak_mb"])  # fmt: skip
    growth = large["peak_mb"] / small["peak_mb"]
    base_growth = base_large["peak_mb"] / base_small["peak_mb"]
    figure(f"export_peak_growth_{n // 10}_to_{n}", growth, "x", base_growth, "<= 1.5",
           growth <= 1.5)  # fmt: skip
    figure(f"export_archive_size_{n}", size_mb, "MB", 0, "reported", True)


if __name__ == "__main__":
    main()
