"""e2e: a campaign scheduled to start later is not applied at a real till before its start,
offline too, and is applied from its start; the server's re-pricing agrees on every sale.

GIVEN a real server on loopback with a campaign "Café -10%" scheduled to start in an hour,
and ``tillclub agent run`` as a process of its own (POS ``http`` plugin), whose clock is moved
through ``TILLCLUB_CLOCK_OFFSET_FILE``
WHEN the POS sells coffee online before the start, then with the server down before the start,
then (still offline, no sync since) after the clock passes the start, and the server returns
THEN the till charges R$ 20,00, R$ 20,00 and R$ 18,00, and the server stores the three sales
re-priced as ``match`` with no mismatch flag.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.service import Credential, write_credential
from agent.sync import register as agent_register
from plugins.simulated import HttpTransport
from server import clock as server_clock
from server.db import new_session
from server.models import Campaign, Sale
from server.services.campaign_publish import put_campaign
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import live_server, registration_code, write_config
from tests.e2e.test_agent_run import ROOT, free_port, status

pytestmark = pytest.mark.slow
SECRET = "a-long-enough-pos-secret"
PROMO = {
    "timezone": "America/Sao_Paulo",
    "rules": [{"id": "cafe-10", "kind": "percent_off", "name": "Café -10%", "percent": "10",
               "applies_to": {"skus": ["CAFE"]}}],
}  # fmt: skip
ALWAYS = {"rules": [{"id": "arroz-5", "kind": "percent_off", "name": "Arroz -5%", "percent": "5",
                     "applies_to": {"skus": ["ARROZ"]}}]}  # fmt: skip


def wait_for(cond: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def quote(pos: HttpTransport, sale_id: str, sku: str, price: str) -> str:
    lines = [{"sku": sku, "qty": "1", "unit_price": price}]
    answer = pos({"operation": "price", "sale_id": sale_id, "lines": lines})
    assert answer["ok"], answer
    return str(answer["result"]["total"])


def sell(pos: HttpTransport, sale_id: str) -> dict[str, Any]:
    lines = [{"sku": "CAFE", "qty": "1", "unit_price": "20.00"}]
    priced = pos({"operation": "price", "sale_id": sale_id, "lines": lines})
    assert priced["ok"], priced
    done = pos({"operation": "finalise", "sale_id": sale_id})
    assert done["ok"], done
    assert done["result"]["total"] == priced["result"]["total"]
    return dict(done["result"])


def test_a_scheduled_campaign_starts_at_a_real_till_offline_and_the_server_agrees(
    tmp_path: Path,
) -> None:
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    start = server_clock.now() + dt.timedelta(hours=1)
    db = tmp_path / "server.db"
    api_port, pos_port = free_port(), free_port()
    with live_server(db) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        put_campaign(SqlUnitOfWork.for_app(srv.app), "c-cafe", "Café", PROMO)
        put_campaign(SqlUnitOfWork.for_app(srv.app), "c-arroz", "Arroz", ALWAYS)
        with new_session(srv.app) as s, s.begin():
            s.get_one(Campaign, "c-cafe").valid_from = start
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(
            tmp_path,
            srv.url,
            status=f"local_api_port = {api_port}\n",
            pos=f'plugin = "http"\n\n[pos.options]\nport = {pos_port}\nsecret = "{SECRET}"\n',
        )
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("tillclub")), "agent", "run", "--config",
             str(config)],
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT), "TILLCLUB_CLOCK_OFFSET_FILE": str(offset)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: status(api_port))
            pos = HttpTransport(f"http://127.0.0.1:{pos_port}", SECRET)
            # The campaigns are in the till's cache once the always-on one prices.
            wait_for(lambda: quote(pos, "probe", "ARROZ", "10.00") == "9.50")
            online = sell(pos, "pos-1")
        except BaseException:
            proc.kill()
            raise
    try:
        offline_before = sell(pos, "pos-2")  # the server is down
        offset.write_text(str(3600 + 60))  # an hour and a minute later, by the till's clock
        wait_for(lambda: quote(pos, "probe", "CAFE", "20.00") == "18.00")  # reread within 1 s
        offline_after = sell(pos, "pos-3")
        assert [online["total"], offline_before["total"], offline_after["total"]] == [
            "20.00", "20.00", "18.00"
        ]  # fmt: skip
        report = status(api_port)
        assert report is not None
        assert report["campaigns"] == {
            "rules_in_force": 2, "campaigns": 2, "next_change_at": None,
            "timezone": "America/Sao_Paulo",
        }  # fmt: skip
        with live_server(db, port=port) as srv:
            wait_for(lambda: status(api_port)["queue"]["depth"] == 0)  # type: ignore[index]
            with new_session(srv.app) as s:
                sales = s.scalars(select(Sale).order_by(Sale.occurred_at)).all()
                assert [(f"{x.total:.2f}", x.reprice_status.value) for x in sales] == [
                    ("20.00", "match"), ("20.00", "match"), ("18.00", "match")
                ]  # fmt: skip
                assert [x.occurred_at >= start for x in sales] == [False, False, True]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            assert proc.stderr is not None
            err = proc.stderr.read()
            proc.stderr.close()
    assert body["credential"] not in err
