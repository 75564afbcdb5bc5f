"""An offline till: sales never cut the sync worker's backoff short, and the WAL still drains."""

from __future__ import annotations

import time
from pathlib import Path

from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    line,
    make_agent,
    member_change,
)


def test_sales_do_not_defeat_the_backoff_and_checkpoints_run(tmp_path: Path) -> None:
    """GIVEN a till whose server refuses connections, WHEN it sells 40 times over 2 s, THEN the
    worker retries on its backoff schedule (base 0.2 s, cap 1 s), not once per sale, and it
    checkpoints the journal so the sale connection never has to."""
    agent = make_agent(
        tmp_path,
        [campaign_change(1), member_change(2, "M1"), card_change(3, "2900000000018", "M1")],
        Clock(),
    )
    try:
        agent.start(sync=True)
        assert agent.journal_conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        journal = tmp_path / "journal.sqlite3"
        size_before = journal.stat().st_size
        for i in range(40):
            agent.sales.identify(f"s{i}", "2900000000018")
            agent.sales.price(f"s{i}", [line("ARROZ", "1", "10.00")])
            agent.sales.finalise(f"s{i}")
            time.sleep(0.05)
        attempts = agent.sync_state.failures
        assert 1 <= attempts <= 20, attempts  # once per sale would be about 40
        assert agent.status()["queue"]["depth"] >= 40
        time.sleep(1.2)  # past the backoff cap: the worker has had a round
        # The sales went to the WAL; only the worker's checkpoints copy them into the file.
        assert journal.stat().st_size > size_before
    finally:
        agent.close()
