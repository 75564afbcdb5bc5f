"""e2e: members imported from the old programme are served at a real till, on both databases.

GIVEN a real server on loopback, ``tillclub server import members|cards|balances`` run as
processes of their own (the chain declares its old card prefix ``27``), and
``tillclub agent run`` as a process with the same prefix, one clock offset file shared by all
WHEN the till pulls
THEN the old card is identified at the till with the carried-over balance (two lots);
AND WHEN points are spent at the till
THEN they come from the lot that expires first (FIFO across the move);
AND WHEN the clock passes that lot's original expiry date
THEN the till refuses what is left of it, offline, and the server's expiry job writes it off
and the ``expire`` entry reaches the till.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent.service import Credential, write_credential
from agent.sync import register as agent_register
from server import clock, create_app
from server.db import get_engine, new_session
from server.jobs.contract import JobContext
from server.migrate import upgrade
from server.models import LedgerEntryRow
from server.services.expiry import expire_and_mature
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import SERVER_SECRETS, registration_code, server_config, write_config
from tests.e2e.test_agent_run import free_port, status
from tests.e2e.test_expiry_at_the_till import SECRET, Pos, wait_for
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.live import start_serving

ROOT = Path(__file__).resolve().parents[2]
SP = ZoneInfo("America/Sao_Paulo")
OLD_CARD = "2700000054321"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
        upgrade(url)
        yield url
        return
    name, url = create_pg_database("tc_imp_e2e")
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


@contextmanager
def serving(url: str) -> Iterator[tuple[object, str]]:
    app = create_app(server_config(url) | {"CARD_LEGACY_PREFIXES": ["27"]})
    served = start_serving(app)
    try:
        yield app, served.url
    finally:
        served.stop()
        get_engine(app).dispose()


def _import(config: Path, kind: str, text: str, folder: Path) -> dict[str, object]:
    file = folder / f"{kind}.csv"
    file.write_text(text, encoding="utf-8-sig")
    done = subprocess.run(
        [sys.executable, "-m", "tillclub.cli", "server", "--config", str(config), "import", kind,
         str(file), "--json"],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _cache_kinds(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT data FROM ledger").fetchall()
    return sorted(json.loads(r[0])["kind"] for r in rows)


def test_imported_card_and_balances_at_the_till(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    monkeypatch.setenv(clock.OFFSET_ENV, str(offset))  # this process and every child
    today = clock.now().astimezone(SP).date()
    first_expiry = today + dt.timedelta(days=40)
    later_expiry = today + dt.timedelta(days=400)
    server_toml = tmp_path / "server.toml"
    server_toml.write_text(
        f'database_url = "{db_url}"\nlog_level = "WARNING"\ncard_legacy_prefixes = ["27"]\n'
        + "".join(f'{k.lower()} = "{v}"\n' for k, v in SERVER_SECRETS.items())
    )
    status_port, pos_port = free_port(), free_port()
    pos = Pos(pos_port)
    with serving(db_url) as (app, url):
        add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Loja 1")
        code = registration_code(app)
        # GIVEN the old programme's member, card and two lots, imported by the CLI
        members = _import(server_toml, "members", "id_externo;nome;cpf;loja;termos\n"
                          "OLD-1;Maria Antiga;529.982.247-25;LOJA-01;sim\n", tmp_path)  # fmt: skip
        cards = _import(
            server_toml, "cards", f"numero;cliente_id_externo\n{OLD_CARD};OLD-1\n", tmp_path
        )
        lots = _import(
            server_toml,
            "balances",
            "id_externo;cliente_id_externo;moeda;valor;data;validade\n"
            f"L1;OLD-1;pontos;1.000;01/01/2026;{first_expiry:%d/%m/%Y}\n"
            f"L2;OLD-1;pontos;500;01/06/2026;{later_expiry:%d/%m/%Y}\n",
            tmp_path,
        )
        assert (members["created"], cards["created"], lots["created"]) == (1, 1, 2)
        body = agent_register(url, code)
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(
            tmp_path,
            url,
            status=f"local_api_port = {status_port}\n",
            pos=f'plugin = "http"\n[pos.options]\nport = {pos_port}\nsecret = "{SECRET}"\n',
        )
        text = config.read_text().replace(
            "[identification]\n", '[identification]\nlegacy_card_prefixes = ["27"]\n'
        )
        config.write_text(text)
        agent = subprocess.Popen(
            [sys.executable, "-m", "tillclub.cli", "agent", "run", "--config", str(config)],
            cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(pos.up)
            # WHEN the till pulls: THEN the old card names the member, with both lots
            wait_for(lambda: _cache_kinds(tmp_path / "cache.sqlite3") == ["migration", "migration"])
            code_, seen = pos.call("POST", "/v1/sales/s1/identify", {"code": OLD_CARD})
            assert code_ == 200, seen
            assert int(seen["result"]["balance"]["points"]) == 1500
            # WHEN 200 points are spent at the till
            lines = [{"sku": "X", "qty": "1", "unit_price": "100.00"}]
            assert pos.call("PUT", "/v1/sales/s1/basket", {"lines": lines})[0] == 200
            code_, paid = pos.call("PUT", "/v1/sales/s1/tenders/points", {"points": 200})
            assert code_ == 200, paid
            code_, done = pos.call("POST", "/v1/sales/s1/finalise")
            assert code_ == 200, done
            wait_for(lambda: (status(status_port) or {})["queue"]["depth"] == 0)
            with new_session(app) as s:
                redeemed = s.execute(
                    select(LedgerEntryRow.amount, LedgerEntryRow.reverses).where(
                        LedgerEntryRow.kind == "redeem"
                    )
                ).all()
                soon = dt.datetime.combine(later_expiry, dt.time(), SP)
                lot1 = s.scalar(
                    select(LedgerEntryRow.entry_id).where(LedgerEntryRow.expires_at < soon)
                )
            # THEN from the lot that expires first
            assert [int(a) for a, _ in redeemed] == [-200]
            assert redeemed[0][1] == lot1
            # WHEN the clock passes the first lot's original date (its whole last day counts)
            end = dt.datetime.combine(first_expiry + dt.timedelta(days=1), dt.time(0, 5), SP)
            offset.write_text(str((end - clock.now()).total_seconds() + 60))
            time.sleep(1.2)  # the clocks re-read the offset file at most once a second
            # THEN the till, before any expiry entry exists, refuses what is left of it
            code_, seen = pos.call("POST", "/v1/sales/s2/identify", {"code": OLD_CARD})
            assert int(seen["result"]["balance"]["points"]) == 500
            # AND the server's job writes the 800 left off, and the till pulls that
            report = expire_and_mature(JobContext(app, clock.now(), 100, "e2e"))  # type: ignore[arg-type]
            assert report.detail["points_expired"] == "800"
            wait_for(lambda: "expire" in _cache_kinds(tmp_path / "cache.sqlite3"))
            code_, seen = pos.call("POST", "/v1/sales/s3/identify", {"code": OLD_CARD})
            assert int(seen["result"]["balance"]["points"]) == 500
        finally:
            agent.terminate()
            try:
                agent.wait(15)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
            assert agent.stderr is not None
            agent.stderr.close()
