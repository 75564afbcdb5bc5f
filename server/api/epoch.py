"""The epoch on the wire: the till's ``X-Tillclub-Epoch``/``X-Tillclub-Cursor`` checked before a
push or pull, the server's epoch returned on every answer (docs/sync-protocol.md).

A till that speaks for another epoch gets ``409 epoch_changed`` with the current epoch and
nothing applied: it pushes again the events it holds, then takes a new snapshot.
"""

from __future__ import annotations

from flask import Response, current_app, g, request

from ..errors import ApiError, ErrorCode
from ..services.epochs import Epoch, check_epoch
from ..services.terminals import TerminalIdentity
from ..services.uow import SqlUnitOfWork

EPOCH_HEADER = "X-Tillclub-Epoch"
DATABASE_HEADER = "X-Tillclub-Database"
CURSOR_HEADER = "X-Tillclub-Cursor"
REPUSH_HEADER = "X-Tillclub-Repush"


def _cursor() -> int | None:
    raw = request.headers.get(CURSOR_HEADER)
    if raw is None or not raw.isdigit() or len(raw) > 19:
        return None
    return int(raw)


def require_current_epoch(who: TerminalIdentity) -> Epoch:
    """The current epoch (also put on the answer's headers).

    :raises ApiError: 409 ``epoch_changed`` when the till must change epoch first.
    """
    till_epoch = request.headers.get(EPOCH_HEADER) or None
    if till_epoch is not None and len(till_epoch) > 40:
        till_epoch = till_epoch[:40]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    check = check_epoch(SqlUnitOfWork.for_app(app), who, till_epoch, _cursor())
    g.tillclub_epoch = check.current
    if check.changed:
        why = (
            "the server started a new epoch (restored or failed over): push again every event "
            "you hold, then take a new snapshot"
        )
        raise ApiError(
            409,
            ErrorCode.EPOCH_CHANGED,
            why,
            {
                "epoch": check.current.epoch,
                "database_id": check.current.database_id,
                "started_at": check.current.started_at.isoformat(),
                "detected_here": check.started,
            },
        )
    return check.current


def is_repush() -> bool:
    return request.headers.get(REPUSH_HEADER) == "1"


def add_epoch_headers(response: Response) -> Response:
    """``after_request`` of the sync blueprints: the epoch this request was answered in."""
    epoch: Epoch | None = g.get("tillclub_epoch")
    if epoch is not None:
        response.headers[EPOCH_HEADER] = epoch.epoch
        response.headers[DATABASE_HEADER] = epoch.database_id
    return response
