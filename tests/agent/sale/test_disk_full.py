"""A full disk at the till: the POS hears ``disk_full`` (its own code, pt-BR and English), not
a generic error masked by "cannot rollback - no transaction is active"; nothing is half
written, and the retry once there is room gets the sale recorded with the ids it would have had.

The journal is filled for real: ``PRAGMA max_page_count`` caps the file at the pages it has, so
SQLite answers ``SQLITE_FULL`` exactly as on a full disk.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from agent.service import Agent
from agent.storage_errors import DiskFull
from plugins.dispatch import Dispatcher
from tests.agent.sale.world import card, line


def fill_up(conn: sqlite3.Connection) -> None:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def count(agent: Agent, table: str) -> int:
    return int(agent.journal_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def big_basket() -> list[dict[str, str]]:
    # A few pages of answer even compressed: SKUs and prices that do not repeat.
    return [
        line(hashlib.sha256(str(i).encode()).hexdigest()[:20], price=f"{1 + i % 89}.{i % 97:02d}")
        for i in range(800)
    ]


def test_a_full_journal_answers_disk_full_and_the_retry_records_the_sale(agent: Agent) -> None:
    agent.sales.identify("p0", card(1))
    agent.sales.price("p0", [line("A", price="10.00")])
    first = agent.sales.finalise("p0")
    fill_up(agent.journal_conn)
    agent.sales.identify("p1", card(1))
    agent.sales.price("p1", big_basket())
    with pytest.raises(DiskFull) as caught:
        agent.sales.finalise("p1")
    assert caught.value.code == "disk_full"
    assert "disco" in caught.value.message_pt
    assert "disk is full" in caught.value.message_en
    cause = caught.value.__cause__
    assert isinstance(cause, sqlite3.OperationalError)
    assert "full" in str(cause)
    assert "rollback" not in str(cause)
    assert not agent.journal_conn.in_transaction
    assert count(agent, "sales") == 1  # nothing half written
    assert count(agent, "outbox") == 1
    agent.journal_conn.execute("PRAGMA max_page_count = 1073741823")  # room again
    again = agent.sales.finalise("p1")
    seq = int(first["sale_id"].rsplit(":", 1)[1])
    assert again["sale_id"].rsplit(":", 1)[1] == f"{seq + 1:012d}"  # no id skipped
    assert count(agent, "sales") == 2


def test_the_pos_api_gets_its_own_code_and_status(agent: Agent) -> None:
    pos = Dispatcher(agent.sales)
    pos.handle({"operation": "identify", "sale_id": "p1", "code": card(1)})
    pos.handle({"operation": "price", "sale_id": "p1", "lines": big_basket()})
    fill_up(agent.journal_conn)
    answer = pos.handle({"operation": "finalise", "sale_id": "p1"})
    assert answer["ok"] is False
    assert answer["error"]["code"] == "disk_full"
    assert answer["error"]["status"] == 507
    assert "disco do caixa cheio" in answer["error"]["message"]
