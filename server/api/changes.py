"""Pull: ``GET /api/v1/changes`` (pages in sequence order) and ``GET /api/v1/snapshot``."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, g, jsonify, stream_with_context

from ..db import readonly_session
from ..errors import ApiError, ErrorCode
from ..limits import limiter
from ..services.changes import CursorAhead, changes_since, gzip_stream, snapshot_lines
from .auth import by_terminal, terminal_limit, terminal_required
from .epoch import add_epoch_headers, require_current_epoch
from .request import query
from .schemas import ChangesQuery

bp = Blueprint("changes", __name__, url_prefix="/api/v1")
log = logging.getLogger("tillclub.server.changes")
bp.after_request(add_epoch_headers)


@bp.get("/changes")
@limiter.limit(terminal_limit, key_func=by_terminal)
@terminal_required
def changes() -> Response:
    params = query(ChangesQuery)
    epoch = require_current_epoch(g.terminal)
    if params.limit > current_app.config["CHANGES_MAX_LIMIT"]:
        raise ApiError(
            400,
            ErrorCode.VALIDATION_FAILED,
            f"limit must be at most {current_app.config['CHANGES_MAX_LIMIT']}",
        )
    with readonly_session() as session, session.begin():
        try:
            page = changes_since(session, g.terminal, params.cursor, params.limit)
        except CursorAhead as exc:
            raise ApiError(409, ErrorCode.CURSOR_AHEAD, f"{exc}; take a new snapshot") from None
    del epoch  # on the answer's headers (add_epoch_headers)
    return jsonify(changes=page.changes, next_cursor=page.next_cursor, has_more=page.has_more)


@bp.get("/snapshot")
@limiter.limit(terminal_limit, key_func=by_terminal)
@terminal_required
def snapshot() -> Response:
    who = g.terminal
    require_current_epoch(who)  # the epoch goes on the answer's headers
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    log.info("snapshot started", extra={"terminal_id": who.terminal_id})

    def generate() -> Iterator[bytes]:
        # The session lives as long as the stream: one consistent read from first to last line.
        with readonly_session(app) as session, session.begin():
            yield from gzip_stream(snapshot_lines(session, who))

    return Response(
        stream_with_context(generate()),
        mimetype="application/x-ndjson",
        headers={"Content-Encoding": "gzip", "Cache-Control": "no-store"},
    )
