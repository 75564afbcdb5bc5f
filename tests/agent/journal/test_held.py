"""Acknowledged events are kept ``storage.keep_acknowledged_days`` for a restored server.

GIVEN a journal whose outbox the server applied
WHEN the worker settles and later prunes
THEN applied events move to ``acked_events`` in push order (never lost on the way), pruning
drops only those past retention, never one a re-push under way still needs, and with
retention 0 nothing is kept.
"""

from __future__ import annotations

from pathlib import Path

from agent.journal import HeldEvents, Journal, Outbox, OutboxRow, Write, connect_journal
from agent.journal.held import REPUSH_DONE, REPUSH_THROUGH, set_meta


def sell(journal: Journal, n: int) -> None:
    for i in range(n):
        row = OutboxRow(f"V:{i}", "sale", f'{{"event_id": "V:{i}"}}')
        journal.record(Write(events=[row]))


def test_applied_events_are_kept_in_push_order_and_pruned_past_retention(
    tmp_path: Path,
) -> None:
    conn = connect_journal(tmp_path / "j.sqlite3")
    sell(Journal(conn), 5)
    outbox = Outbox(conn)
    batch = outbox.batch(10)
    outbox.settle(batch[:3], [e.event_id for e in batch[:3]], [], [], acked_at=1000.0)
    outbox.settle(batch[3:], [e.event_id for e in batch[3:]], [], [], acked_at=2000.0)
    held = HeldEvents(conn)
    assert outbox.depth() == 0
    kept = held.batch(0, held.last_id(), 10)
    assert [h.event.event_id for h in kept] == [f"V:{i}" for i in range(5)]
    assert kept[0].event.payload == '{"event_id": "V:0"}'
    # A re-push under way from the second event on: those stay even past retention.
    set_meta(conn, {REPUSH_THROUGH: str(held.last_id()), REPUSH_DONE: str(kept[0].id)})
    assert held.prune(cutoff=3000.0) == 1
    set_meta(conn, {REPUSH_THROUGH: "0", REPUSH_DONE: "0"})
    assert held.prune(cutoff=1500.0) == 2  # acknowledged at 1000
    assert [h.event.event_id for h in held.batch(0, held.last_id(), 10)] == ["V:3", "V:4"]
    assert held.prune(cutoff=1500.0) == 0
    conn.close()


def test_retention_zero_keeps_nothing(tmp_path: Path) -> None:
    conn = connect_journal(tmp_path / "j.sqlite3")
    sell(Journal(conn), 2)
    outbox = Outbox(conn, keep_acked=False)
    batch = outbox.batch(10)
    outbox.settle(batch, [e.event_id for e in batch], [], [])
    assert HeldEvents(conn).count() == 0
    assert outbox.depth() == 0
    conn.close()
