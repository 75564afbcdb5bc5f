"""A member's sale queues its loyalty slip after the commit; the print worker prints it.

GIVEN an agent whose printer is a ``file`` connector
WHEN a member's sale is finalised (and an anonymous one)
THEN one slip for the member's sale reaches the file, with the masked card, and the print
queue in the journal marks it done.
"""

from __future__ import annotations

import time
from pathlib import Path

from agent.config import load_config
from agent.service import Agent
from loyalty.identification import card_number
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    fake_credential,
    line,
    member_change,
    seed_cache,
    write_config,
)


def test_member_sale_prints_a_loyalty_slip(tmp_path: Path) -> None:
    out = tmp_path / "printer.bin"
    out.touch()
    config = write_config(
        tmp_path,
        printer=f'enabled = true\n[printer.connector]\ntype = "file"\ndevfile = "{out}"\n'
        "[printer.profile]\npaper_mm = 80\n",
    )
    fake_credential(tmp_path)
    seed_cache(
        tmp_path / "cache.sqlite3",
        [member_change(1, "M1"), card_change(2, card_number(1), "M1"), campaign_change(3)],
    )
    agent = Agent(load_config(config), Clock())
    agent.start(sync=False)
    try:
        agent.sales.price("anon", [line("A")])
        agent.sales.finalise("anon")
        agent.sales.identify("p1", card_number(1))
        agent.sales.price("p1", [line("ARROZ", price="24.90")])
        sale_id = agent.sales.finalise("p1")["sale_id"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not out.read_bytes():
            time.sleep(0.05)
        data = out.read_bytes()
        assert b"0018" in data
        assert card_number(1).encode() not in data
        jobs = agent.journal_conn.execute("SELECT sale_id, template FROM print_jobs").fetchall()
        assert jobs == [(sale_id, "loyalty_slip")]
    finally:
        agent.close()
