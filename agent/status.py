"""The agent's status: queue depth and age, last contact, cache age and size, devices.

One function builds a plain dict from the journal and cache files (so ``tillclub agent status``
works whether or not the agent runs) plus, when given, the running agent's live sync state.
The same dict is the local API's ``GET /status`` and the CLI's ``--json``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from .cache.integrity import CacheHealth
from .cache.staging import staged_count
from .cache.writer import read_meta
from .config import AgentConfig
from .journal import Outbox
from .journal.held import REPUSH_THROUGH, get_meta, last_change
from .sync.client import AGENT_VERSION
from .sync.clock_check import describe, read_skew
from .sync.worker import SyncState


def _age(at: float | None, now: float) -> float | None:
    return None if at is None else round(max(0.0, now - at), 1)


def build_status(
    config: AgentConfig,
    journal: sqlite3.Connection,
    cache: sqlite3.Connection | None,
    sync: SyncState | None = None,
    devices: dict[str, Any] | None = None,
    now: float | None = None,
    running: bool = False,
    depth: int | None = None,
    health: CacheHealth | None = None,
) -> dict[str, Any]:
    """The agent's status report; ``depth``: the running agent's own count of unsent events
    (``None``: count them in the file, as ``tillclub agent status`` on a stopped agent does)."""
    now = time.time() if now is None else now
    outbox = Outbox(journal)
    oldest = outbox.oldest_created_at()
    oldest_age = _age(oldest, now)
    warn_after = config.offline.queue_age_warning_hours * 3600
    warnings = []
    if oldest_age is not None and oldest_age > warn_after:
        warnings.append(
            f"oldest unsent event is {oldest_age / 3600:.1f} h old "
            f"(warning after {config.offline.queue_age_warning_hours:g} h): check the link"
        )
    rejected = outbox.rejected()
    if rejected:
        warnings.append(f"{rejected} event(s) rejected by the server: see the agent log")
    clock: dict[str, Any] = {"skew_seconds": None, "checked_age_seconds": None}
    if sync is not None and sync.clock_skew_seconds is not None:
        clock["skew_seconds"] = sync.clock_skew_seconds
    cache_info: dict[str, Any] = {"path": str(config.storage.cache_path)}
    path = Path(config.storage.cache_path)
    cache_info["size_bytes"] = path.stat().st_size if path.exists() else 0
    if cache is not None:
        last_pull = read_meta(cache, "last_pull_at")
        cursor = read_meta(cache, "cursor")
        cache_info["cursor"] = int(cursor) if cursor else 0
        cache_info["age_seconds"] = _age(float(last_pull), now) if last_pull else None
        try:
            cache_info["members"] = int(cache.execute("SELECT count(*) FROM members").fetchone()[0])
            # a new copy being built beside the live data (cache.staging): members so far
            staged = staged_count(cache, "members")
            cache_info["rebuild"] = None if staged is None else {"staged_members": staged}
        except sqlite3.DatabaseError:
            cache_info["members"] = None
        try:
            measured = read_skew(cache)
        except sqlite3.DatabaseError:  # a damaged cache: the health report below says so
            measured = None
        if measured is not None:
            if clock["skew_seconds"] is None:
                clock["skew_seconds"] = measured[0]
            clock["checked_age_seconds"] = _age(measured[1], now)
    skew = clock["skew_seconds"]
    limit = config.server.clock_skew_warning_seconds
    clock["warning_after_seconds"] = limit
    if skew is not None and abs(skew) > limit:
        warnings.append(
            f"the till's clock is {describe(skew)} the server's (warning after {limit:g} s): "
            "check the till's date, time and time zone; sales, vouchers and phone QR codes "
            "are judged by it"
        )
    if health is not None:
        cache_info["health"] = health.report()
        if health.damaged:
            warnings.append(
                f"LOYALTY UNAVAILABLE: the cache is damaged ({health.damaged}); the till sells "
                "without loyalty (anonymous sales, no points) until it is rebuilt from the server"
            )
    epoch = _epoch_report(journal)
    if epoch is not None and epoch.get("warning"):
        warnings.append(epoch["warning"])
    report: dict[str, Any] = {
        "version": AGENT_VERSION,
        "store_id": config.terminal.store,
        "terminal_id": config.terminal.terminal,
        "running": running,
        "queue": {
            "depth": outbox.depth() if depth is None else depth,
            "rejected": rejected,
            "oldest_age_seconds": oldest_age,
        },
        "sync": None,
        "cache": cache_info,
        "clock": clock,
        "devices": devices or {},
        "epoch": epoch,
        "warnings": warnings,
    }
    if sync is not None:
        report["sync"] = {
            "last_contact_age_seconds": _age(sync.last_contact_at, now),
            "last_error": sync.last_error,
            "last_error_age_seconds": _age(sync.last_error_at, now),
            "pushed": sync.pushed,
            "failures": sync.failures,
        }
    return report


def _epoch_report(journal: sqlite3.Connection) -> dict[str, Any] | None:
    """The server epoch this till holds and what its last change did (``None``: never synced
    with an epoch). ``warning``: for a week after a change, what happened, in a sentence."""
    try:
        held = get_meta(journal, "server_epoch")
        change = last_change(journal)
        under_way = int(get_meta(journal, REPUSH_THROUGH) or 0) > 0
    except sqlite3.OperationalError:  # a journal older than epochs, opened read-only
        return None
    if held is None and change is None:
        return None
    report: dict[str, Any] = {"epoch": held, "last_change": change, "repush_under_way": under_way}
    if change is not None and time.time() - float(change.get("seen_at") or 0) < 7 * 86400:
        state = "under way" if under_way else "done"
        snap = (
            "cache re-snapshotted" if change.get("resnapshot_at") else "cache re-snapshot pending"
        )
        report["warning"] = (
            f"the server was restored or failed over (new epoch {str(change.get('epoch'))[:12]}): "
            f"re-push {state}, {change.get('repushed', 0)} of {change.get('held', 0)} held "
            f"event(s) sent again, {change.get('recovered', 0)} were missing at the server, "
            f"{change.get('rejected', 0)} refused; {snap}"
        )
    return report


def format_status(report: dict[str, Any]) -> str:
    """The human form of :func:`build_status` for ``tillclub agent status``."""
    q, c, s = report["queue"], report["cache"], report["sync"]

    def secs(v: float | None) -> str:
        return "never" if v is None else f"{v:.0f} s ago"

    oldest = "-" if q["oldest_age_seconds"] is None else f"{q['oldest_age_seconds']:.0f} s"
    state = "running" if report["running"] else "not running"
    lines = [
        f"tillclub agent {report['version']}  store {report['store_id']}  "
        f"terminal {report['terminal_id'] or '-'}  {state}",
        f"queue: {q['depth']} unsent event(s), oldest {oldest}, {q['rejected']} rejected",
        f"cache: {c.get('members', '?')} members, {c['size_bytes'] / 1e6:.1f} MB, "
        f"last pull {secs(c.get('age_seconds'))}",
    ]
    if s is not None:
        lines.append(
            f"server: last contact {secs(s['last_contact_age_seconds'])}; "
            f"last error: {s['last_error'] or 'none'}"
        )
    clock = report.get("clock") or {}
    if clock.get("skew_seconds") is not None:
        lines.append(
            f"clock: {describe(clock['skew_seconds'])} the server's, "
            f"measured {secs(clock.get('checked_age_seconds'))}"
        )
    for name, state in report["devices"].items():
        lines.append(f"{name}: {state}")
    lines += [f"WARNING: {w}" for w in report["warnings"]]
    return "\n".join(lines)
