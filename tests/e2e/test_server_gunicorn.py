"""e2e: the production setup (gunicorn, 2 workers, PostgreSQL) over real HTTP on loopback.

GIVEN a server configured by file and environment, migrated with ``tillclub server init-db``
WHEN two tills register, take a snapshot, push batches with duplicates and reordering, use the
same voucher, and one of them is revoked; and the server is killed -9 in the middle of a batch
THEN balances are exact, the revoked till gets 401, the voucher conflict is settled and listed,
and the killed batch left nothing half-applied and completes when re-sent.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from loyalty.rewards.balances import balance
from loyalty.rewards.ids import make_entry_id, make_sale_id
from loyalty.rewards.ledger import Currency, LedgerEntry
from loyalty.rewards.voucher_codes import make_voucher_code
from server import create_app
from server.config import load_config, new_config_text
from server.db import get_engine
from server.process import GunicornProcess
from server.services.campaign_publish import put_campaign
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher
from tests.server.conftest import POINTS_PER_REAL, create_pg_database, drop_pg_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


ROOT = Path(__file__).resolve().parents[2]


def tillclub(config: Path, *args: str) -> str:
    """Run the real console command (as an operator would) and return its stdout."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("tillclub")), "server", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


class Agent:
    def __init__(self, url: str, code: str) -> None:
        self.url = url
        r = requests.post(f"{url}/api/v1/terminals/register", json={"code": code}, timeout=10)
        assert r.status_code == 201, r.text
        body = r.json()
        self.store, self.terminal = body["store_id"], body["terminal_id"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {body['credential']}"
        self.seq = 0

    def next(self) -> int:
        self.seq += 1
        return self.seq

    def header(self, kind: str, at: dt.datetime = T0) -> dict[str, Any]:
        return {
            "type": kind,
            "event_id": f"V:{self.store}:{self.terminal}:{self.next():012d}",
            "store_id": self.store,
            "terminal_id": self.terminal,
            "occurred_at": at.isoformat(),
        }

    def sale(
        self, member: str | None, price: str, points: int = 0, at: dt.datetime = T0
    ) -> dict[str, Any]:
        sale_id = make_sale_id(self.store, self.terminal, self.next())
        event = self.header("sale", at) | {
            "sale_id": sale_id,
            "member_id": member,
            "currency": "BRL",
            "subtotal": price,
            "discount_total": "0.00",
            "total": price,
            "lines": [
                {
                    "line_no": 1,
                    "sku": "ARROZ",
                    "quantity": "1",
                    "unit_price": price,
                    "gross": price,
                    "discount": "0.00",
                    "net": price,
                }
            ],
        }
        if member and points:
            event["ledger_entries"] = [
                {
                    "entry_id": make_entry_id(self.store, self.terminal, self.next()),
                    "member_id": member,
                    "currency": "points",
                    "kind": "earn",
                    "amount": str(points),
                    "effective_at": at.isoformat(),
                    "sale_id": sale_id,
                    "rule_id": "R1",
                }
            ]
        return event

    def push(self, events: list[dict[str, Any]], timeout: float = 30) -> dict[str, Any]:
        r = self.session.post(f"{self.url}/api/v1/events", json={"events": events}, timeout=timeout)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        r = self.session.get(f"{self.url}/api/v1/snapshot", timeout=30, stream=True)
        assert r.status_code == 200
        assert r.headers["Content-Encoding"] == "gzip"
        lines = [json.loads(x) for x in r.content.decode().splitlines()]  # requests un-gzips
        assert lines[0]["type"] == "snapshot"
        assert lines[-1] == {
            "type": "end",
            "cursor": lines[0]["cursor"],
            "count": len(lines) - 2,
        }
        return lines[0]["cursor"], lines[1:-1]

    def changes(self, cursor: int) -> tuple[int, list[dict[str, Any]]]:
        out: list[dict[str, Any]] = []
        while True:
            body = self.session.get(
                f"{self.url}/api/v1/changes", params={"cursor": cursor, "limit": 100}, timeout=10
            ).json()
            out += body["changes"]
            cursor = body["next_cursor"]
            if not body["has_more"]:
                return cursor, out


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    name, url = create_pg_database("tc_e2e_server")
    tmp = tmp_path_factory.mktemp("e2e_server")
    config = tmp / "server.toml"
    config.write_text(new_config_text(url) + 'log_level = "INFO"\n')
    try:
        tillclub(config, "init-db")
        tillclub(config, "add-store", "LOJA-01", "Centro")
        tillclub(config, "add-store", "LOJA-02", "Norte")
        # One point per real under R1: the points the sales below book are what the server's
        # re-pricing derives, so they are credited (a till's underived credit is held).
        app = create_app(load_config(config))
        try:
            put_campaign(SqlUnitOfWork.for_app(app), "C-POINTS", "Pontos", POINTS_PER_REAL)
        finally:
            get_engine(app).dispose()
        yield config, url
    finally:
        drop_pg_database(name)


@pytest.fixture
def server(setup: tuple[Path, str], tmp_path: Path) -> Iterator[GunicornProcess]:
    proc = GunicornProcess(setup[0], workers=2, log_path=tmp_path / "gunicorn.log").start()
    try:
        yield proc
    finally:
        proc.close()


def _balances(agent: Agent, member: str) -> Decimal:
    _, changes = agent.changes(0)
    entries = [LedgerEntry.from_dict(c["data"]) for c in changes if c["type"] == "ledger_entry"]
    return balance(
        [e for e in entries if e.member_id == member], Currency.POINTS, T0 + dt.timedelta(days=1)
    ).available


def test_register_snapshot_push_revoke_and_voucher_race(
    setup: tuple[Path, str], server: GunicornProcess
) -> None:
    config, _ = setup
    a = Agent(server.url, tillclub(config, "register-terminal", "LOJA-01", "PDV 1"))
    b = Agent(server.url, tillclub(config, "register-terminal", "LOJA-02", "PDV 1"))
    code = make_voucher_code(b"\x07" * 8)
    app = create_app(load_config(config))
    try:
        add_voucher(
            SqlUnitOfWork.for_app(app),
            "VX",
            code,
            amount=Decimal("5.00"),
            valid_from=T0 - dt.timedelta(days=1),
            valid_until=T0 + dt.timedelta(days=9),
        )
    finally:
        get_engine(app).dispose()

    cursor, records = a.snapshot()
    assert ("voucher", "VX") in {(r["type"], r["id"]) for r in records}

    # 30 sales for three members, pushed as shuffled, overlapping batches with duplicates
    sales = [a.sale(f"M{i % 3}", f"{i + 1}.00", points=i + 1) for i in range(30)]
    rng = random.Random(7)
    for _ in range(6):
        batch = rng.sample(sales, 12) + rng.sample(sales, 4)
        rng.shuffle(batch)
        assert len(a.push(batch)["applied"]) == len({e["event_id"] for e in batch})
    assert a.push(sales)["rejected"] == []
    expected = {f"M{m}": sum(i + 1 for i in range(30) if i % 3 == m) for m in range(3)}
    for member, points in expected.items():
        assert _balances(a, member) == points
    cursor, new = a.changes(cursor)
    assert sum(c["type"] == "ledger_entry" for c in new) == 30

    # the same voucher used at both stores while "offline": the use the server received first
    # wins, whatever the tills' clocks say (b's till time is earlier)
    sale_b = b.sale(None, "20.00", at=T0)
    sale_a = a.sale(None, "20.00", at=T0 + dt.timedelta(minutes=1))
    use_a = a.header("voucher_use", T0 + dt.timedelta(minutes=1)) | {
        "voucher_code": code,
        "sale_id": sale_a["sale_id"],
    }
    use_b = b.header("voucher_use", T0) | {"voucher_code": code, "sale_id": sale_b["sale_id"]}
    flags_a = a.push([sale_a, use_a])["flags"]
    flags_b = b.push([sale_b, use_b])["flags"]
    assert flags_a == []  # a's use reached the server first and stands ...
    assert flags_b == [  # ... b's, dated earlier by its till but received later, is the conflict
        {
            "code": "voucher_conflict",
            "voucher_id": "VX",
            "sale_id": sale_b["sale_id"],
            "winners": [sale_a["sale_id"]],
        }
    ]
    _, vx = a.changes(cursor)
    assert [c["data"]["accepted_sale_ids"] for c in vx if c["type"] == "voucher"][-1] == [
        sale_a["sale_id"]
    ]

    # revoke b: every call is refused
    tillclub(config, "revoke-terminal", b.terminal)
    r = b.session.get(f"{server.url}/api/v1/changes", timeout=10)
    assert (r.status_code, r.json()["code"]) == (401, "terminal_revoked")
    r = b.session.post(f"{server.url}/api/v1/events", json={"events": []}, timeout=10)
    assert r.status_code == 401


def _in_flight(url: str) -> bool:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tillclub-server' "
            "AND state = 'idle in transaction' AND datname = current_database()"
        ).fetchone()
    return bool(row and row[0])


def _count(url: str, sql: str, ids: list[str]) -> int:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(sql, (ids,)).fetchone()
    return int(row[0]) if row else 0


def test_kill_9_mid_batch_leaves_nothing_half_applied(
    setup: tuple[Path, str], tmp_path: Path
) -> None:
    config, url = setup
    code = tillclub(config, "register-terminal", "LOJA-01", "PDV 7")
    slow = GunicornProcess(
        config,
        workers=2,
        log_path=tmp_path / "slow.log",
        env={"TILLCLUB_SERVER_FAILPOINT_PAUSE_BEFORE_COMMIT": "30"},
    ).start()
    try:
        agent = Agent(slow.url, code)
        batch = [agent.sale("K1", "7.00", points=7) for _ in range(50)]
        ids = [e["event_id"] for e in batch]
        errors: list[BaseException] = []

        def push() -> None:
            try:
                agent.push(batch, timeout=60)
            except BaseException as exc:  # noqa: BLE001 - the connection dies with the server
                errors.append(exc)

        pusher = threading.Thread(target=push)
        pusher.start()
        deadline = time.monotonic() + 20
        while not _in_flight(url):  # the batch's rows are written, the commit not yet done
            assert time.monotonic() < deadline, "the batch never reached the commit point"
            time.sleep(0.05)
        slow.kill()
        pusher.join(30)
        assert errors, "the push should have failed with the server"
    finally:
        slow.close()
    applied_sql = "SELECT count(*) FROM applied_events WHERE event_id = ANY(%s)"
    assert _count(url, applied_sql, ids) == 0
    assert _count(url, "SELECT count(*) FROM sales WHERE event_id = ANY(%s)", ids) == 0
    assert _count(url, "SELECT count(*) FROM ledger_entries WHERE event_id = ANY(%s)", ids) == 0

    restarted = GunicornProcess(
        config, workers=2, log_path=tmp_path / "again.log", sock=None
    ).start()
    try:
        agent.url = restarted.url
        assert agent.push(batch)["applied"] == ids
        assert agent.push(list(reversed(batch)))["applied"] == list(reversed(ids))
    finally:
        restarted.close()
    assert _count(url, applied_sql, ids) == 50
    assert _count(url, "SELECT count(*) FROM ledger_entries WHERE event_id = ANY(%s)", ids) == 50
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        total = conn.execute(
            "SELECT sum(amount) FROM ledger_entries WHERE member_id = 'K1'"
        ).fetchone()
    assert total is not None
    assert total[0] == 350 * 100  # stored in hundredths: 350 points


def test_gzip_on_the_wire(setup: tuple[Path, str], server: GunicornProcess) -> None:
    config, _ = setup
    agent = Agent(server.url, tillclub(config, "register-terminal", "LOJA-02", "PDV 3"))
    raw = agent.session.get(f"{server.url}/api/v1/snapshot", timeout=30, stream=True).raw.read(
        decode_content=False
    )
    first = gzip.decompress(raw).decode().splitlines()[0]
    assert json.loads(first)["type"] == "snapshot"
