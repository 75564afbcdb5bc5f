"""Record what an agent reports about itself when it syncs: version and outbox depth.

Agents send ``X-Tillclub-Agent-Version: 1.4.0`` and ``X-Tillclub-Queue-Depth: 12`` on their
sync requests (``/api/v1/changes``, ``/api/v1/events``). After a successful authenticated
call the values are kept in ``terminal_reports``; an unchanged report is written at most once
a minute per terminal and process. Malformed values are ignored, never an error for the till.
The row is written by :func:`server.services.telemetry.record_report`; head office sees it on
the store page.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from ..services.telemetry import record_report
from ..services.uow import SqlUnitOfWork

VERSION_HEADER = "X-Tillclub-Agent-Version"
DEPTH_HEADER = "X-Tillclub-Queue-Depth"
_VERSION = re.compile(r"^[0-9A-Za-z.+_-]{1,40}$")
_lock = threading.Lock()
_last: dict[str, tuple[str | None, int | None, float]] = {}
log = logging.getLogger("tillclub.server.api")


def parse(version: str | None, depth: str | None) -> tuple[str | None, int | None]:
    v = version.strip() if version else None
    d = depth.strip() if depth else None
    return (
        v if v and _VERSION.match(v) else None,
        int(d) if d and d.isdigit() and len(d) <= 9 else None,
    )


def _record(response: Response) -> Response:
    who = g.get("terminal")
    if who is None or response.status_code >= 400 or not request.path.startswith("/api/v1/"):
        return response
    version, depth = parse(request.headers.get(VERSION_HEADER), request.headers.get(DEPTH_HEADER))
    if version is None and depth is None:
        return response
    now = time.monotonic()
    with _lock:
        seen = _last.get(who.terminal_id)
        if seen is not None and seen[:2] == (version, depth) and now - seen[2] < 60:
            return response
        _last[who.terminal_id] = (version, depth, now)
    try:
        record_report(SqlUnitOfWork.for_app(current_app), who.terminal_id, version, depth)
    except Exception:  # a report must never fail the till's sync
        log.exception("could not record the terminal's report")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record)
