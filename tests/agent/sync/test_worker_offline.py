"""An offline till: sales never cut the sync worker's backoff short, and the WAL still drains."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agent.config import load_config
from agent.service import Agent
from agent.sync.worker import CHECKPOINT_EVERY
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    fake_credential,
    line,
    make_agent,
    member_change,
    seed_cache,
    write_config,
)


def test_sales_do_not_defeat_the_backoff_and_checkpoints_run(tmp_path: Path) -> None:
    """GIVEN a till whose server refuses connections, WHEN it sells 40 times over 2 s, THEN the
    worker retries on its backoff schedule (base 0.2 s, cap 1 s), not once per sale, the sale
    connection never checkpoints, and a failed round does not either (the next sale would pay
    the WAL restart at every retry): the sale count folds the WAL in (next test)."""
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
        time.sleep(1.2)  # past the backoff cap: the worker has had another failed round
        # The sales went to the WAL and stay there: fewer than CHECKPOINT_EVERY of them.
        assert journal.stat().st_size == size_before
        assert agent.sync_state.failures > attempts
    finally:
        agent.close()


class _Busy(BaseHTTPRequestHandler):
    """A server that tells every request to come back in an hour."""

    def _answer(self) -> None:
        self.send_response(429)
        self.send_header("Retry-After", "3600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_a_long_backoff_still_checkpoints_every_so_many_sales(tmp_path: Path) -> None:
    """GIVEN a server answering 429 Retry-After: 3600, WHEN the till sells, THEN the worker
    waits its hour without retrying, yet folds the WAL into the journal every
    CHECKPOINT_EVERY sales (about 1,000 WAL frames)."""
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_address[1]}"
    write_config(tmp_path, url)
    fake_credential(tmp_path)
    seed_cache(
        tmp_path / "cache.sqlite3",
        [campaign_change(1), member_change(2, "M1"), card_change(3, "2900000000018", "M1")],
    )
    agent = Agent(load_config(tmp_path / "agent.toml"), Clock())
    journal = tmp_path / "journal.sqlite3"
    try:
        agent.start(sync=True)
        deadline = time.monotonic() + 10
        while agent.sync_state.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert agent.sync_state.failures == 1
        time.sleep(0.2)  # the worker now waits its hour

        def sell(n: int, start: int) -> None:
            for i in range(start, start + n):
                agent.sales.identify(f"s{i}", "2900000000018")
                agent.sales.price(f"s{i}", [line("ARROZ", "1", "10.00")])
                agent.sales.finalise(f"s{i}")

        size = journal.stat().st_size
        sell(CHECKPOINT_EVERY - 1, 0)
        time.sleep(0.3)
        assert journal.stat().st_size == size  # one sale short: still only in the WAL
        sell(1, CHECKPOINT_EVERY - 1)
        deadline = time.monotonic() + 5
        while journal.stat().st_size == size and time.monotonic() < deadline:
            time.sleep(0.02)
        assert journal.stat().st_size > size  # the last sale asked for a checkpoint
        assert agent.sync_state.failures == 1  # and no retry came with it
    finally:
        agent.close()
        http.shutdown()
        http.server_close()
