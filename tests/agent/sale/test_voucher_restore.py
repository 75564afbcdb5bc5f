"""A full refund gives back the use of a voucher the sale consumed, at the till, offline.

Seeded cache (see conftest): a single-use R$ 10 voucher (id V1) with a R$ 20 minimum. A sale of
R$ 25,00 with it totals R$ 15,00.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from agent.cache import apply_changes, cursor_of
from agent.journal.store import unpack
from agent.service import Agent
from loyalty.rewards import VoucherRefused
from tests.agent.sale.conftest import VOUCHER
from tests.agent.sale.world import line


def events(agent: Agent, kind: str) -> list[dict[str, object]]:
    return [
        json.loads(unpack(r[0]))
        for r in agent.journal_conn.execute("SELECT payload FROM outbox WHERE type = ?", (kind,))
    ]


def restores(agent: Agent) -> list[tuple[str, str, str]]:
    return [
        (r[0], r[1], r[2])
        for r in agent.journal_conn.execute(
            "SELECT voucher_id, sale_id, refund_id FROM voucher_restores"
        )
    ]


def sell_with_voucher(agent: Agent, pos_id: str) -> str:
    agent.sales.price(pos_id, [line("A", price="25.00")])
    agent.sales.apply_voucher(pos_id, VOUCHER)
    answer = agent.sales.finalise(pos_id)
    assert answer["total"] == "15.00"
    return str(answer["sale_id"])


def test_full_refund_restores_the_voucher_locally_and_says_so(agent: Agent) -> None:
    sale_id = sell_with_voucher(agent, "p1")
    agent.sales.price("p2", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p2", VOUCHER)
    answer = agent.sales.refund("r1", "p1", "15.00")
    assert answer["vouchers_restored"] == ["V1"]
    [event] = events(agent, "refund")
    assert event["restored_vouchers"] == ["V1"]
    assert restores(agent) == [("V1", sale_id, answer["refund_id"])]
    # Offline, the till takes the voucher again on the next sale.
    assert agent.sales.apply_voucher("p2", VOUCHER)["total"] == "15.00"
    agent.sales.finalise("p2")
    agent.sales.price("p3", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p3", VOUCHER)  # used again by p2


def test_partial_refunds_restore_nothing_until_the_last_completes_the_sale(agent: Agent) -> None:
    sell_with_voucher(agent, "p1")
    first = agent.sales.refund("r1", "p1", "10.00")
    assert first["vouchers_restored"] == []
    assert "restored_vouchers" not in events(agent, "refund")[0]
    assert restores(agent) == []
    agent.sales.price("p2", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p2", VOUCHER)
    last = agent.sales.refund("r2", "p1", "5.00")
    assert last["vouchers_restored"] == ["V1"]
    assert [e.get("restored_vouchers") for e in events(agent, "refund")] == [None, ["V1"]]
    assert agent.sales.apply_voucher("p2", VOUCHER)["total"] == "15.00"


def test_a_refund_of_a_sale_without_voucher_restores_nothing(agent: Agent) -> None:
    agent.sales.price("p1", [line("A", price="25.00")])
    agent.sales.finalise("p1")
    assert agent.sales.refund("r1", "p1", "25.00")["vouchers_restored"] == []
    assert restores(agent) == []


def test_restore_is_in_the_refund_transaction(agent: Agent) -> None:
    sell_with_voucher(agent, "p1")
    # The outbox insert (the refund transaction's last row) fails: nothing may be kept.
    agent.journal_conn.execute(
        "CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON outbox "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        agent.sales.refund("r1", "p1", "15.00")
    assert restores(agent) == []
    assert events(agent, "refund") == []
    agent.sales.price("p2", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p2", VOUCHER)
    agent.journal_conn.execute("DROP TRIGGER no_outbox")
    answer = agent.sales.refund("r1", "p1", "15.00")  # the POS retries: now it all lands
    assert answer["vouchers_restored"] == ["V1"]
    assert len(restores(agent)) == 1
    assert agent.sales.apply_voucher("p2", VOUCHER)["total"] == "15.00"


def test_a_restored_use_no_longer_counts_though_the_cache_still_lists_it(agent: Agent) -> None:
    """Until the server hears of the refund, its feed still lists the sale as accepted."""
    sale_id = sell_with_voucher(agent, "p1")
    row = agent.cache_conn.execute("SELECT data FROM vouchers WHERE code = ?", (VOUCHER,))
    data = json.loads(row.fetchone()[0])
    data["accepted_sale_ids"] = [sale_id]
    # As the server's feed sends it (through the writer: each cache row carries a checksum).
    change = {"type": "voucher", "id": data["voucher_id"], "deleted": False, "data": data}
    apply_changes(agent.cache_conn, [change], cursor_of(agent.cache_conn))
    agent.sales.price("p2", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p2", VOUCHER)
    agent.sales.refund("r1", "p1", "15.00")
    assert agent.sales.apply_voucher("p2", VOUCHER)["total"] == "15.00"
