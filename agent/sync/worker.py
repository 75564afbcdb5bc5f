"""The background sync worker: push the outbox, pull changes, back off, resume after restart.

One round: push outbox batches oldest first until it is empty, then pull change pages until
the server has no more. An event leaves the outbox only when the server lists its id as
applied; an id the server rejects for good (a malformed event, another till's sale id) is
parked in the outbox as rejected and counted in the status, never silently dropped; a
``conflict`` (a concurrent write at the server) is retried. The cursor is stored with each
page in the cache, so after a restart both sides resume where they stood. A whole new copy of
the data (a new server epoch, a server behind our cursor, a damaged cache) is built beside the
live one and swapped in at once (``cache.staging``): the till keeps finding every member it
knew until the new data replaces them. After a round, the
journal rows of shoppers enrolled here whose record the server now has (and the cache holds)
are pruned. Failures back off exponentially with full jitter; the till never waits for any
of it.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import clock as agent_clock
from ..cache import CacheLookups, apply_changes, cursor_of, staging
from ..cache.integrity import CacheDamaged, CacheHealth
from ..journal import HeldEvents, Outbox, QueueGauge, prune_synced
from ..journal import held as held_meta
from .backoff import Backoff
from .client import CursorAhead, EpochChanged, SyncClient, SyncFailed
from .clock_check import store_skew

log = logging.getLogger("tillclub.agent.sync")
RETRY_CODES = frozenset({"conflict"})
# A shopper enrolled here stays in the journal this long after the server has them: a POS
# that retries the enrolment (same sale) within it still gets the first answer back.
KEEP_SYNCED_ENROLMENTS = timedelta(days=1)
KEEP_ACKNOWLEDGED = timedelta(days=30)  # storage.keep_acknowledged_days


@dataclass
class SyncState:
    """What the status shows about the link (read by other threads; plain attribute writes)."""

    last_contact_at: float | None = None
    last_push_at: float | None = None
    last_pull_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    pushed: int = 0
    rejected: int = 0
    failures: int = 0
    # the till's clock minus the server's (seconds), from the last answer's Date header
    clock_skew_seconds: float | None = None
    repushed: int = 0  # events pushed again after a new server epoch, this run


# Sales between the worker's checkpoints while nothing else folds the WAL in: about 1,000 WAL
# frames at ~6 frames a sale, SQLite's own autocheckpoint size (which the bench's floor keeps).
# Each checkpoint costs the next sale a second fsync (it restarts the WAL and syncs its header)
# and competes for the disk with the sales beside it: every 64 sales that was 1.6% of sales,
# inside the finalise p99; every 160 it is 0.6%. The WAL stays under ~4 MB.
CHECKPOINT_EVERY = 160


def checkpoint(journal: sqlite3.Connection) -> None:
    """Copy the journal's WAL into the database without blocking the till's writes.

    The agent turns SQLite's automatic checkpoint off on the sale connection while this worker
    runs; PASSIVE never waits for a writer, so a busy till just leaves more for next time.
    """
    try:
        journal.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:
        log.warning("journal checkpoint failed: %s", exc)


class SyncWorker:
    """Runs :meth:`run_round` in a daemon thread, waking early on :meth:`notify`.

    :param open_journal: makes the worker's own journal connection (in its thread).
    :param open_cache: makes the worker's own cache connection.
    :param on_campaigns: called after a pull that touched campaigns or the till's store record
        (its time zone): rebuild the rules.
    :param clock: the agent's clock (how old an enrolment is, for pruning).
    """

    def __init__(
        self,
        client: SyncClient,
        open_journal: Callable[[], sqlite3.Connection],
        open_cache: Callable[[], sqlite3.Connection],
        *,
        interval: float,
        max_backoff: float,
        push_batch: int = 200,
        pull_page: int = 500,
        on_campaigns: Callable[[sqlite3.Connection], None] | None = None,
        on_ledger: Callable[[set[str] | None], None] | None = None,
        state: SyncState | None = None,
        snapshot_timeout: float | None = 600.0,
        snapshot_slice: int = 5000,
        queue: QueueGauge | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        clock: Callable[[], datetime] = agent_clock.SYSTEM,
        keep_synced_enrolments: timedelta = KEEP_SYNCED_ENROLMENTS,
        keep_acknowledged: timedelta = KEEP_ACKNOWLEDGED,
        health: CacheHealth | None = None,
        cache_path: Path | None = None,
    ) -> None:
        self.client = client
        self.open_journal = open_journal
        self.open_cache = open_cache
        self.interval = interval
        self.backoff = Backoff(base=min(1.0, interval), cap=max_backoff)
        self.push_batch = push_batch
        self.pull_page = pull_page
        self.on_campaigns = on_campaigns
        self.on_ledger = on_ledger
        self.snapshot_timeout = snapshot_timeout  # None: first sync pages /changes from 0
        self.snapshot_slice = snapshot_slice  # records staged per transaction
        self.state = state or SyncState()
        self.queue = queue
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self.keep_synced_enrolments = keep_synced_enrolments
        self.keep_acknowledged = keep_acknowledged
        self.journal_for_notes: sqlite3.Connection | None = None  # the round's journal
        self.health = health
        self.cache_path = cache_path
        self._verified = health is None  # every cache row checked once after start-up
        self._recorded = 0
        self._checkpoint = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tillclub-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._checkpoint.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        self._wake.set()

    def sale_recorded(self) -> None:
        """A sale was committed: sync soon, and fold the WAL in every ``checkpoint_every`` sales
        even while backing off (an offline till must not grow its WAL without bound)."""
        self._recorded += 1
        if self._recorded % self.checkpoint_every == 0:
            self._checkpoint.set()
        self._wake.set()

    def _run(self) -> None:
        journal = self.open_journal()
        cache = self.open_cache()
        outbox = self.outbox(journal)
        try:
            while not self._stop.is_set():
                delay = self.interval
                failed = True
                try:
                    self.run_round(outbox, cache)
                    self.backoff.reset()
                    self.state.failures = 0
                    failed = False
                except SyncFailed as exc:
                    self._failed(str(exc))
                    delay = self.backoff.cap if not exc.retryable else self.backoff.next_delay()
                    if exc.retry_after is not None:
                        delay = max(delay, exc.retry_after)  # the server asked (429)
                except Exception as exc:  # a bug must not kill the worker: log, back off
                    log.exception("sync round failed")
                    self._failed(f"{type(exc).__name__}: {str(exc)[:200]}")
                    delay = self.backoff.next_delay()
                if failed:
                    # Backing off: a sale must not cut the wait short, or an offline till
                    # retries (and re-reads its outbox) on every sale, competing with it. No
                    # checkpoint per failed round: offline, the WAL holds the sales, and the
                    # sale count folds it in (a checkpoint at each retry would cost the next
                    # sale the WAL restart every few seconds of an outage).
                    self._back_off(journal, delay)
                else:
                    checkpoint(journal)
                    self._checkpoint.clear()
                    self._wake.wait(delay)
                self._wake.clear()
        finally:
            journal.close()
            cache.close()
            self.client.close()

    def _back_off(self, journal: sqlite3.Connection, delay: float) -> None:
        """Wait ``delay`` (or until stopped), checkpointing when sales ask for it."""
        deadline = time.monotonic() + delay
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self._checkpoint.wait(left) and not self._stop.is_set():
                self._checkpoint.clear()
                checkpoint(journal)

    def _failed(self, message: str) -> None:
        self.state.last_error = message
        self.state.last_error_at = time.time()
        self.state.failures += 1
        log.warning("sync failed: %s", message)

    def outbox(self, journal: sqlite3.Connection) -> Outbox:
        """The worker's outbox on ``journal``: applied events kept when retention is on."""
        return Outbox(journal, self.queue, keep_acked=self.keep_acknowledged > timedelta(0))

    def run_round(self, outbox: Outbox, cache: sqlite3.Connection) -> None:
        journal = outbox.conn
        self.journal_for_notes = journal
        self.client.epoch = held_meta.get_meta(journal, held_meta.EPOCH)
        self.client.cursor = cursor_of(cache) or None
        self.check_cache(cache)
        try:
            try:
                self.push_all(outbox)
                self.pull_all(cache)
            except EpochChanged as exc:
                self.change_epoch(journal, cache, exc.epoch, exc.detail)
                self.push_all(outbox)
                self.pull_all(cache)
        finally:
            self.note_clock(cache)  # a failed round may still have heard the server's Date
        if self.client.epoch is None and self.client.server_epoch:
            # First contact (or an agent older than epochs): this is the epoch we hold.
            held_meta.set_meta(journal, {held_meta.EPOCH: self.client.server_epoch})
            self.client.epoch = self.client.server_epoch
        self.prune_enrolments(journal, cache)
        self.prune_acknowledged(journal)

    def check_cache(self, cache: sqlite3.Connection) -> None:
        """Once after start-up, check every cache row; whenever the cache is damaged, keep a
        copy for support and rebuild it from the server (a snapshot, built beside the live
        data). Until it is swapped in, the undamaged rows keep serving and a damaged one or a
        member not found sells without loyalty (``loyalty_unavailable``); a rebuild that fails
        is tried again next round."""
        if self.health is None:
            return
        if not self._verified:
            try:
                rows = CacheLookups(cache, self.health).verify_all(pause=0.001)
                log.info("cache checked: %d rows", rows)
            except CacheDamaged:
                pass  # marked damaged: rebuilt below
            self._verified = True
        if self.health.damaged is None:
            return
        if self.health.set_aside is None:
            self.health.set_aside = self._set_aside(cache)
        try:
            self.rebuild(cache)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, disk full, I/O: not the file's damage; tried next round
            self.health.damaged = (
                f"cache file cannot be rebuilt in place ({type(exc).__name__}): restart the "
                "agent to set it aside and rebuild it"
            )
            raise SyncFailed(self.health.damaged) from None
        self.health.rebuilt()
        self.health.set_aside = None

    def _set_aside(self, cache: sqlite3.Connection) -> str:
        """A copy of the damaged cache beside it, for support; where it went."""
        if self.cache_path is None:
            return "not kept (no path)"
        target = Path(f"{self.cache_path}.damaged-{int(time.time())}")
        try:
            with sqlite3.connect(target) as copy:
                cache.backup(copy)
            copy.close()
        except sqlite3.Error:
            try:
                shutil.copyfile(self.cache_path, target)
            except OSError as exc:
                log.error("could not keep a copy of the damaged cache: %s", exc)
                return "not kept"
        log.error("damaged cache kept as %s; rebuilding the cache from the server", target)
        return str(target)

    def change_epoch(
        self,
        journal: sqlite3.Connection,
        cache: sqlite3.Connection,
        epoch: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """The server was restored or failed over (a new epoch): push again every held event,
        oldest first, and take a new snapshot (cursor 0: the rows stay, so the till sells
        and identifies as before, until the new data built beside them is swapped in).
        Recorded in the journal, so the status says so and a restart resumes the re-push."""
        previous = held_meta.get_meta(journal, held_meta.EPOCH)
        through = HeldEvents(journal).last_id()
        change = {
            "epoch": epoch,
            "previous": previous,
            "seen_at": time.time(),
            "detected_by_server": bool((detail or {}).get("detected_here")),
            "held": HeldEvents(journal).count(),
            "repushed": 0,
            "recovered": 0,
            "rejected": 0,
            "resnapshot_at": None,
        }
        held_meta.set_meta(
            journal,
            {
                held_meta.EPOCH: epoch,
                held_meta.REPUSH_THROUGH: str(through),
                held_meta.REPUSH_DONE: "0",
                held_meta.LAST_CHANGE: json.dumps(change),
            },
        )
        log.error(
            "server started a new epoch (restored or failed over): pushing %d held event(s) "
            "again and taking a new snapshot",
            change["held"],
        )
        staging.discard(cache)  # a rebuild under way holds the old epoch's data
        cache.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', '0')")
        self.client.epoch = epoch
        self.client.cursor = None

    def _note_change(self, journal: sqlite3.Connection, **add: Any) -> None:
        change = held_meta.last_change(journal)
        if change is None:
            return
        for key, value in add.items():
            if isinstance(value, int) and not isinstance(value, bool):
                change[key] = int(change.get(key) or 0) + value
            else:
                change[key] = value
        held_meta.set_meta(journal, {held_meta.LAST_CHANGE: json.dumps(change)})

    def repush(self, journal: sqlite3.Connection) -> int:
        """Push again the held events of an epoch change under way; how many were sent."""
        through = int(held_meta.get_meta(journal, held_meta.REPUSH_THROUGH) or 0)
        done = int(held_meta.get_meta(journal, held_meta.REPUSH_DONE) or 0)
        held = HeldEvents(journal)
        sent = 0
        while done < through and not self._stop.is_set():
            batch = held.batch(done, through, self.push_batch)
            if not batch:
                break
            answer = self.client.push([h.event.payload for h in batch], repush=True)
            self.state.last_contact_at = self.state.last_push_at = time.time()
            ours = {h.event.event_id for h in batch}
            applied = {i for i in answer["applied"] if i in ours}
            retry = [
                r.get("event_id")
                for r in answer.get("rejected") or []
                if r.get("event_id") in ours and r.get("code") in RETRY_CODES
            ]
            if retry:
                raise SyncFailed("the server asked to retry part of a re-push; will retry")
            refused = [
                r
                for r in answer.get("rejected") or []
                if r.get("event_id") in ours and r.get("event_id") not in applied
            ]
            for r in refused:
                log.error(
                    "held event %s refused on re-push: %s: %s",
                    r.get("event_id"),
                    r.get("code"),
                    str(r.get("message"))[:300],
                )
            done = batch[-1].id
            sent += len(batch)
            self.state.repushed += len(batch)
            held_meta.set_meta(journal, {held_meta.REPUSH_DONE: str(done)})
            self._note_change(
                journal,
                repushed=len(batch),
                recovered=int(answer.get("recovered") or 0),
                rejected=len(refused),
            )
        if done >= through and through:
            held_meta.set_meta(journal, {held_meta.REPUSH_THROUGH: "0", held_meta.REPUSH_DONE: "0"})
            log.info("re-push after the new server epoch done: %d event(s) sent", sent)
        return sent

    def prune_acknowledged(self, journal: sqlite3.Connection) -> int:
        """Drop acknowledged events older than ``keep_acknowledged`` (never those a re-push
        under way still needs)."""
        cutoff = time.time() - self.keep_acknowledged.total_seconds()
        gone = HeldEvents(journal).prune(cutoff)
        if gone:
            log.info("pruned %d acknowledged event(s) past retention", gone)
        return gone

    def note_clock(self, cache: sqlite3.Connection) -> None:
        """Keep the client's latest measure of the till's clock against the server's."""
        skew = getattr(self.client, "clock_skew", None)
        if skew is None or skew == self.state.clock_skew_seconds:
            return
        self.state.clock_skew_seconds = skew
        try:
            store_skew(cache, skew)
        except sqlite3.Error as exc:  # the status loses a figure; the till sells on
            log.warning("clock measure not stored: %s", exc)

    def prune_enrolments(self, journal: sqlite3.Connection, cache: sqlite3.Connection) -> int:
        """Drop the journal rows of shoppers enrolled here that the server has (their
        enrolment applied, the cache holding their record); how many went."""
        lookups = CacheLookups(cache)
        gone = prune_synced(
            journal,
            lambda member_id: lookups.member_by_id(member_id) is not None,
            self.clock() - self.keep_synced_enrolments,
        )
        if gone:
            log.info("pruned %d synced enrolment(s) from the journal", gone)
        return gone

    def push_all(self, outbox: Outbox) -> int:
        self.repush(outbox.conn)  # a new epoch's re-push goes before anything newer
        sent = 0
        while not self._stop.is_set():
            batch = outbox.batch(self.push_batch)
            if not batch:
                break
            answer = self.client.push([e.payload for e in batch])
            now = time.time()
            self.state.last_contact_at = self.state.last_push_at = now
            ours = {e.event_id for e in batch}
            applied = [i for i in answer["applied"] if i in ours]
            rejected: list[tuple[str, str]] = []
            retry: list[str] = []
            for r in answer.get("rejected") or []:
                event_id = r.get("event_id")
                if event_id not in ours:
                    continue
                if r.get("code") in RETRY_CODES:
                    retry.append(event_id)
                else:
                    rejected.append((event_id, f"{r.get('code')}: {str(r.get('message'))[:300]}"))
            outbox.settle(batch, applied, rejected, retry)
            sent += len(applied)
            self.state.pushed += len(applied)
            self.state.rejected += len(rejected)
            for event_id, why in rejected:
                log.error("event %s rejected by the server: %s", event_id, why)
            if not applied and not rejected:
                raise SyncFailed("the server applied none of a pushed batch; will retry")
        return sent

    def rebuild(self, cache: sqlite3.Connection) -> int:
        """A whole new copy of the server's data, built beside the live one and swapped in:
        from ``GET /snapshot``, or paging the change feed from 0 when snapshots are off;
        how many records."""
        if self.snapshot_timeout is not None:
            return self.snapshot(cache, self.snapshot_timeout)
        return self.pull_from_zero(cache)

    def _swapped_in(self, cache: sqlite3.Connection, cursor: int) -> None:
        staging.swap_in(cache, cursor)
        self.client.cursor = cursor or None
        if self.journal_for_notes is not None:
            change = held_meta.last_change(self.journal_for_notes)
            if change is not None and change.get("resnapshot_at") is None:
                self._note_change(self.journal_for_notes, resnapshot_at=time.time())
        self.state.last_contact_at = self.state.last_pull_at = time.time()
        if self.on_campaigns is not None:
            self.on_campaigns(cache)
        if self.on_ledger is not None:
            self.on_ledger(None)

    def snapshot(self, cache: sqlite3.Connection, timeout: float) -> int:
        """The server's data from ``GET /snapshot``, swapped in whole; how many records.

        Records are written in slices of ``snapshot_slice`` into staging tables beside the
        live data, which serves the till until the ``end`` line has come and the count
        matches; then one transaction puts the new data in its place with the snapshot's
        cursor (a record deleted at the server meanwhile does not linger). A snapshot cut
        short leaves the live data as it was and is taken again from the start.
        """
        staging.begin(cache)
        header: dict[str, Any] | None = None
        end: dict[str, Any] | None = None
        batch: list[dict[str, Any]] = []
        count = 0
        for line in self.client.snapshot(timeout):
            kind = line.get("type")
            if kind == "snapshot" and header is None:
                header = line
            elif kind == "end":
                end = line
                break
            else:
                batch.append(line)
                if len(batch) >= self.snapshot_slice:
                    apply_changes(cache, batch, 0, staged=True)
                    count += len(batch)
                    batch = []
        count += len(batch)
        if header is None or end is None or end.get("count") != count:
            raise SyncFailed("snapshot ended early or incomplete; it will be taken again")
        cursor = int(end["cursor"])
        apply_changes(cache, batch, cursor, staged=True)
        self._swapped_in(cache, cursor)
        log.info("snapshot applied: %d records, cursor %d", count, cursor)
        return count

    def pull_from_zero(self, cache: sqlite3.Connection) -> int:
        """Snapshots off: the change feed paged from 0 into staging tables (resumed where a
        rebuild cut short got to), swapped in once the server has no more; how many."""
        cursor = staging.staged_cursor(cache)
        if not cursor:  # none under way, or a snapshot's (cursor 0 until it ends)
            staging.begin(cache)
            cursor = 0
        pulled = 0
        while not self._stop.is_set():
            try:
                page = self.client.changes(cursor, self.pull_page)
            except CursorAhead:  # the server was restored again under us: start over
                staging.begin(cache)
                cursor = 0
                continue
            self.state.last_contact_at = self.state.last_pull_at = time.time()
            cursor = int(page["next_cursor"])
            apply_changes(cache, page["changes"], cursor, staged=True)
            self.client.cursor = cursor or None
            pulled += len(page["changes"])
            if not page.get("has_more"):
                self._swapped_in(cache, cursor)
                log.info("cache rebuilt from the feed: %d records, cursor %d", pulled, cursor)
                break
        return pulled

    def pull_all(self, cache: sqlite3.Connection) -> int:
        cursor = cursor_of(cache)
        pulled = 0
        if cursor == 0:  # first sync, new epoch, cache predating fields: a whole new copy
            pulled += self.rebuild(cache)
            cursor = cursor_of(cache)
        while not self._stop.is_set() and cursor:
            try:
                page = self.client.changes(cursor, self.pull_page)
            except CursorAhead:
                log.error("server is behind our cache cursor %s: refilling the cache", cursor)
                cache.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', '0')")
                pulled += self.rebuild(cache)
                cursor = cursor_of(cache)
                continue
            self.state.last_contact_at = self.state.last_pull_at = time.time()
            cursor = int(page["next_cursor"])
            touched = apply_changes(cache, page["changes"], cursor)
            self.client.cursor = cursor or None
            pulled += len(page["changes"])
            if touched & {"campaign", "store"} and self.on_campaigns is not None:
                self.on_campaigns(cache)
            if "ledger_entry" in touched and self.on_ledger is not None:
                members = {
                    c["data"].get("member_id")
                    for c in page["changes"]
                    if c.get("type") == "ledger_entry" and c.get("data")
                }
                gone = any(
                    c.get("type") == "ledger_entry" and not c.get("data") for c in page["changes"]
                )
                self.on_ledger(None if gone else {m for m in members if m})
            if not page.get("has_more"):
                break
        return pulled
