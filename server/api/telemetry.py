"""Record what an agent reports about itself when it syncs: version, outbox depth and health.

Agents send, on their sync requests (``/api/v1/changes``, ``/api/v1/events``, …)::

    X-Tillclub-Agent-Version: 1.4.0
    X-Tillclub-Queue-Depth: 12           (unsent events)
    X-Tillclub-Oldest-Event-Age: 842.5   (seconds the oldest unsent event has waited)
    X-Tillclub-Last-Error: POST /api/v1/events: ConnectionError   (empty: none)

After a successful authenticated call the values are kept in ``terminal_reports`` (by
:func:`server.services.telemetry.record_report`) and shown on the stores pages; an unchanged
report (the age aside: it grows by itself) is written at most once a minute per terminal and
process. Malformed values are ignored, never an error
for the till. The last error is the agent's own sync message (an HTTP path and an exception
name or status, never personal data); it is kept to 200 printable ASCII characters and
shown escaped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, replace

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from ..services.telemetry import record_report
from ..services.uow import SqlUnitOfWork

VERSION_HEADER = "X-Tillclub-Agent-Version"
DEPTH_HEADER = "X-Tillclub-Queue-Depth"
AGE_HEADER = "X-Tillclub-Oldest-Event-Age"
ERROR_HEADER = "X-Tillclub-Last-Error"
_VERSION = re.compile(r"^[0-9A-Za-z.+_-]{1,40}$")
_AGE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,3})?$")
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")
_lock = threading.Lock()
_last: dict[str, tuple[Report, float]] = {}
log = logging.getLogger("tillclub.server.api")


@dataclass(frozen=True)
class Report:
    """One request's headers, parsed; ``None``: absent or malformed (the stored value stays).

    ``last_error`` ``""``: the agent has no error now (clears the stored one).
    """

    version: str | None
    depth: int | None
    oldest_age_s: int | None = None
    last_error: str | None = None

    @property
    def empty(self) -> bool:
        return self == Report(None, None)


def parse(version: str | None, depth: str | None) -> tuple[str | None, int | None]:
    v = version.strip() if version else None
    d = depth.strip() if depth else None
    return (
        v if v and _VERSION.match(v) else None,
        int(d) if d and d.isdigit() and len(d) <= 9 else None,
    )


def parse_report(headers: dict[str, str]) -> Report:
    version, depth = parse(headers.get(VERSION_HEADER), headers.get(DEPTH_HEADER))
    age = (headers.get(AGE_HEADER) or "").strip()
    error = headers.get(ERROR_HEADER)
    return Report(
        version,
        depth,
        int(float(age)) if _AGE.match(age) else None,
        None if error is None else _NOT_PRINTABLE.sub("?", error.strip())[:200],
    )


def _record(response: Response) -> Response:
    who = g.get("terminal")
    if who is None or response.status_code >= 400 or not request.path.startswith("/api/v1/"):
        return response
    report = parse_report(
        {
            name: value
            for name in (VERSION_HEADER, DEPTH_HEADER, AGE_HEADER, ERROR_HEADER)
            if (value := request.headers.get(name)) is not None
        }
    )
    if report.empty:
        return response
    now = time.monotonic()
    with _lock:
        seen = _last.get(who.terminal_id)
        if (
            seen is not None
            and seen[0] == replace(report, oldest_age_s=None)
            and (now - seen[1] < 60)
        ):
            return response
        _last[who.terminal_id] = (replace(report, oldest_age_s=None), now)
    try:
        record_report(
            SqlUnitOfWork.for_app(current_app),
            who.terminal_id,
            report.version,
            report.depth,
            report.oldest_age_s,
            report.last_error,
        )
    except Exception:  # a report must never fail the till's sync
        log.exception("could not record the terminal's report")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record)
