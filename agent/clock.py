"""The agent's one clock: wall time in UTC, which a drill or an end-to-end test may move.

Every part of the agent (sale flow, sync, printing) asks :func:`now`, or takes a ``Clock``
argument that defaults to :data:`SYSTEM`. A test can move time for a whole process tree
without sleeping: when the environment variable ``TILLCLUB_CLOCK_OFFSET_FILE`` names a file,
its content (seconds, a decimal number, may be negative) is added to wall time. The file is
re-read at most once per second. It is meant for drills and tests; production leaves the
variable unset. The server's clock (``server/clock.py``) reads the same variable, so one file
moves the server, the worker and the tills together.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable

Clock = Callable[[], dt.datetime]

OFFSET_ENV = "TILLCLUB_CLOCK_OFFSET_FILE"
_REREAD_SECONDS = 1.0
_cache: tuple[float, str, float] = (0.0, "", 0.0)  # (read at, path, offset seconds)


def _offset_seconds() -> float:
    global _cache
    path = os.environ.get(OFFSET_ENV)
    if not path:
        return 0.0
    read_at, cached_path, offset = _cache
    mono = time.monotonic()
    if cached_path == path and mono - read_at < _REREAD_SECONDS:
        return offset
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read().strip()
        offset = float(text) if text else 0.0
    except (OSError, ValueError):
        offset = 0.0
    _cache = (mono, path, offset)
    return offset


def now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=_offset_seconds())


SYSTEM: Clock = now


def fixed(at: dt.datetime) -> Clock:
    """A clock that always reads ``at`` (tests)."""
    if at.tzinfo is None:
        raise ValueError(f"a clock needs an aware datetime, not {at!r}")
    return lambda: at
