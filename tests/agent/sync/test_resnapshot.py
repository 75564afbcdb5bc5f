"""A till keeps identifying its members while the sync worker re-snapshots its cache.

GIVEN a cache holding M1..M3 and a real loopback server whose snapshot (or change feed from
      0) comes in pieces, the test holding each piece until it has looked members up
WHEN the worker takes a new snapshot after a new server epoch, pages the feed from 0, or
     rebuilds a damaged cache
THEN at every moment of it a member in both the old and the new data is found by card (the
     new data is built beside the live one and swapped in at once), and afterwards the cache
     is exactly the new data, every row's checksum valid.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.cache import CacheLookups, apply_changes, connect_cache, connect_reader, cursor_of
from agent.cache.card_hash import CardHasher
from agent.cache.integrity import CacheDamaged, CacheHealth
from agent.cache.staging import staged_count
from agent.journal import connect_journal
from agent.sync import SyncClient
from agent.sync.worker import SyncWorker
from tests.agent.sale.world import card, card_change, member_change
from tests.support.waiting import wait_for

CARD_KEY = CardHasher(b"k" * 32)
PAD = b"\n" * 70000  # more than the client's 64 KiB read: each piece reaches the worker


def records(members: range, seq: int = 1) -> list[dict[str, Any]]:
    out = []
    for i in members:
        out.append(member_change(seq, f"M{i}", name=f"Member {i}"))
        out.append(card_change(seq + 1, card(i), f"M{i}"))
        seq += 2
    return out


@dataclass
class Feed:
    """What the fake server serves, in pieces; a piece is sent once the test releases it."""

    pieces: list[list[dict[str, Any]]]
    cursor: int
    reached: list[threading.Event] = field(default_factory=list)
    go: list[threading.Event] = field(default_factory=list)
    fail_once: set[int] = field(default_factory=set)  # pieces whose first request fails
    asked: list[int] = field(default_factory=list)  # the cursors /changes was asked from

    def __post_init__(self) -> None:
        self.reached = [threading.Event() for _ in self.pieces]
        self.go = [threading.Event() for _ in self.pieces]

    def gate(self, i: int) -> None:
        self.reached[i].set()
        if not self.go[i].wait(30):
            raise TimeoutError(f"piece {i} never released")

    def release_all(self) -> None:
        for e in self.go:
            e.set()


@contextmanager
def feed_server(feed: Feed) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _start(self, ctype: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Connection", "close")
            self.end_headers()

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/api/v1/snapshot":
                self._start("application/x-ndjson")
                self.wfile.write(json.dumps({"type": "snapshot"}).encode() + b"\n" + PAD)
                count = 0
                for i, piece in enumerate(feed.pieces):
                    feed.gate(i)
                    if i in feed.fail_once:  # the link drops mid-snapshot
                        feed.fail_once.discard(i)
                        return
                    body = b"".join(json.dumps(r).encode() + b"\n" for r in piece)
                    self.wfile.write(body + PAD)
                    count += len(piece)
                end = {"type": "end", "count": count, "cursor": feed.cursor}
                self.wfile.write(json.dumps(end).encode() + b"\n")
                return
            if url.path == "/api/v1/changes":
                after = int(urllib.parse.parse_qs(url.query).get("cursor", ["0"])[0])
                feed.asked.append(after)
                if after in feed.fail_once:
                    feed.fail_once.discard(after)
                    self.send_error(503)
                    return
                # page k holds piece k; "after" is the page number already taken
                if after >= len(feed.pieces):
                    page = {"changes": [], "next_cursor": after, "has_more": False}
                else:
                    feed.gate(after)
                    last = after + 1 == len(feed.pieces)
                    page = {
                        "changes": feed.pieces[after],
                        "next_cursor": feed.cursor if last else after + 1,
                        "has_more": not last,
                    }
                self._start()
                self.wfile.write(json.dumps(page).encode())
                return
            self.send_error(404)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._start()
            self.wfile.write(b'{"applied": [], "rejected": []}')

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}"
    finally:
        feed.release_all()
        http.shutdown()
        http.server_close()


def old_cache(path: Path) -> sqlite3.Connection:
    """M1..M3 with their cards, the cursor at 6, as the till held them before."""
    conn, _ = connect_cache(path, CARD_KEY)
    apply_changes(conn, records(range(1, 4)), 6, snapshot_done=True)
    return conn


def worker_for(url: str, tmp: Path, snapshot: bool, health: CacheHealth | None) -> SyncWorker:
    client = SyncClient(url, "cred", timeout=30)
    return SyncWorker(
        client,
        lambda: connect_journal(tmp / "journal.sqlite3"),
        lambda: connect_reader(tmp / "cache.sqlite3", CARD_KEY),
        interval=60,
        max_backoff=60,
        snapshot_timeout=30 if snapshot else None,
        snapshot_slice=2,  # one member and card: each piece is staged before the next
        health=health,
        cache_path=tmp / "cache.sqlite3",
    )


def found(look: CacheLookups, i: int) -> str | None:
    member = look.member_by_card(card(i))
    return None if member is None else member.member_id


def staged(conn: sqlite3.Connection, members: int) -> bool:
    return staged_count(conn, "members") == members


def run_in_thread(target: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, errors


# The new data: M1 and M2 stay, M3 is gone at the server, M4 is new; in three pieces.
NEW = [records(range(1, 2), 101), records(range(2, 3), 103), records(range(4, 5), 105)]


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "changes-from-0"])
def test_members_stay_known_while_a_new_epoch_is_snapshotted(
    tmp_path: Path, snapshot: bool
) -> None:
    old_cache(tmp_path / "cache.sqlite3").close()
    feed = Feed([list(p) for p in NEW], cursor=900)
    till = connect_reader(tmp_path / "cache.sqlite3", CARD_KEY)  # the sale flow's connection
    look = CacheLookups(till)
    with feed_server(feed) as url:
        worker = worker_for(url, tmp_path, snapshot, None)
        journal = worker.open_journal()
        cache = worker.open_cache()
        worker.change_epoch(journal, cache, "epoch-2")
        assert [found(look, i) for i in (1, 2, 3)] == ["M1", "M2", "M3"]
        thread, errors = run_in_thread(lambda: worker.pull_all(cache))
        for i in range(len(NEW)):
            assert feed.reached[i].wait(30), errors
            if i:  # the pieces before this one are written (beside the live data)
                wait_for(partial(staged, till, i), timeout=10)
            # the till still knows every member it knew: none answered "unknown card"
            assert [found(look, m) for m in (1, 2, 3)] == ["M1", "M2", "M3"]
            assert found(look, 4) is None
            feed.go[i].set()
        thread.join(30)
        assert not thread.is_alive()
        assert not errors, errors
        # swapped in at once: exactly the new data, with its cursor
        assert [found(look, m) for m in (1, 2, 3, 4)] == ["M1", "M2", None, "M4"]
        assert look.member_by_id("M3") is None
        assert cursor_of(till) == 900
        assert CacheLookups(till).verify_all() == 6  # every row's crc valid (2 members x 3)
        assert staged_count(till, "members") is None  # nothing left beside the live data
        journal.close()
        cache.close()
    till.close()


def test_undamaged_members_keep_selling_while_a_damaged_cache_is_rebuilt(
    tmp_path: Path,
) -> None:
    conn = old_cache(tmp_path / "cache.sqlite3")
    # one flipped bit in M2's record: its checksum no longer matches
    conn.execute("UPDATE members SET name = 'Member 3' WHERE id = 'M2'")
    conn.close()
    health = CacheHealth()
    feed = Feed([list(p) for p in NEW], cursor=900)
    till = connect_reader(tmp_path / "cache.sqlite3", CARD_KEY)
    look = CacheLookups(till, health)
    with feed_server(feed) as url:
        worker = worker_for(url, tmp_path, True, health)
        journal = worker.open_journal()
        cache = worker.open_cache()
        worker.journal_for_notes = journal
        thread, errors = run_in_thread(lambda: worker.check_cache(cache))
        for i in range(len(NEW)):
            assert feed.reached[i].wait(30), errors
            assert health.damaged is not None  # found by the worker's full check
            assert found(look, 1) == "M1"  # undamaged: still served
            with pytest.raises(CacheDamaged):  # damaged: sold without loyalty, and said so
                found(look, 2)
            feed.go[i].set()
        thread.join(30)
        assert not thread.is_alive()
        assert not errors, errors
        assert health.damaged is None
        assert health.rebuilds == 1
        assert [found(look, m) for m in (1, 2, 3, 4)] == ["M1", "M2", None, "M4"]
        assert CacheLookups(till).verify_all() == 6
        assert list(tmp_path.glob("cache.sqlite3.damaged-*"))  # kept for support
        journal.close()
        cache.close()
    till.close()


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "changes-from-0"])
def test_a_rebuild_cut_short_leaves_the_live_data_and_completes_later(
    tmp_path: Path, snapshot: bool
) -> None:
    """A snapshot cut short is taken again from the start; the feed from 0 resumes from the
    last page it staged. Either way the till kept its members throughout."""
    from agent.sync import SyncFailed

    old_cache(tmp_path / "cache.sqlite3").close()
    feed = Feed([list(p) for p in NEW], cursor=900, fail_once={1})
    feed.release_all()
    till = connect_reader(tmp_path / "cache.sqlite3", CARD_KEY)
    look = CacheLookups(till)
    with feed_server(feed) as url:
        worker = worker_for(url, tmp_path, snapshot, None)
        journal = worker.open_journal()
        cache = worker.open_cache()
        worker.change_epoch(journal, cache, "epoch-2")
        with pytest.raises(SyncFailed):
            worker.pull_all(cache)
        assert [found(look, m) for m in (1, 2, 3, 4)] == ["M1", "M2", "M3", None]
        assert cursor_of(till) == 0  # still to be rebuilt
        worker.pull_all(cache)
        assert [found(look, m) for m in (1, 2, 3, 4)] == ["M1", "M2", None, "M4"]
        assert cursor_of(till) == 900
        if not snapshot:
            assert feed.asked == [0, 1, 1, 2, 900]  # resumed at the page that failed
        journal.close()
        cache.close()
    till.close()


def test_status_shows_a_rebuild_under_way(tmp_path: Path) -> None:
    from agent.cache import staging
    from agent.config import load_config
    from agent.status import build_status
    from tests.agent.sale.world import fake_credential, write_config

    fake_credential(tmp_path)
    config = load_config(write_config(tmp_path))
    cache = old_cache(Path(config.storage.cache_path))
    journal = connect_journal(config.storage.journal_path)
    try:
        assert build_status(config, journal, cache)["cache"]["rebuild"] is None
        staging.begin(cache)
        apply_changes(cache, NEW[0] + NEW[1], 0, staged=True)
        report = build_status(config, journal, cache)["cache"]
        assert report["rebuild"] == {"staged_members": 2}
        assert report["members"] == 3  # the live data still serves
        staging.swap_in(cache, 900)
        report = build_status(config, journal, cache)["cache"]
        assert report["rebuild"] is None
        assert report["members"] == 2
        assert report["cursor"] == 900
    finally:
        cache.close()
        journal.close()


def test_a_rebuild_under_way_starts_over_under_another_card_key(tmp_path: Path) -> None:
    """Cards staged under the old key cannot be rehashed: a feed from 0 staged so far is
    dropped when the till comes back with another key, not resumed."""
    from agent.cache import staging

    cache = old_cache(tmp_path / "cache.sqlite3")
    staging.begin(cache)
    apply_changes(cache, NEW[0], 5, staged=True)
    assert staging.staged_cursor(cache) == 5
    cache.close()
    again, _ = connect_cache(tmp_path / "cache.sqlite3", CardHasher(b"o" * 32))
    try:
        assert staging.staged_cursor(again) is None
        assert cursor_of(again) == 0
    finally:
        again.close()
