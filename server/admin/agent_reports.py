"""Record what an agent reports about itself when it syncs: version and outbox depth.

Agents send ``X-Tillclub-Agent-Version: 1.4.0`` and ``X-Tillclub-Queue-Depth: 12`` on their
sync requests (``/api/v1/changes``, ``/api/v1/events``). After a successful authenticated
call the values are kept in ``terminal_reports``; an unchanged report is written at most once
a minute per terminal and process. Malformed values are ignored, never an error for the till.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from .. import clock
from ..db import new_session
from ..models.admin_ui import TerminalReport

VERSION_HEADER = "X-Tillclub-Agent-Version"
DEPTH_HEADER = "X-Tillclub-Queue-Depth"
_VERSION = re.compile(r"^[0-9A-Za-z.+_-]{1,40}$")
_lock = threading.Lock()
_last: dict[str, tuple[str | None, int | None, float]] = {}
log = logging.getLogger("tillclub.server.admin")


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
        with new_session() as s, s.begin():
            row = s.get(TerminalReport, who.terminal_id)
            if row is None:
                row = TerminalReport(terminal_id=who.terminal_id)
                s.add(row)
            if version is not None:
                row.agent_version = version
            if depth is not None:
                row.queue_depth = depth
            row.reported_at = clock.now()
    except Exception:  # a report must never fail the till's sync
        log.exception("could not record the terminal's report")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record)
