"""What a terminal last reported about itself (agent version, outbox depth, the age of its
oldest unsent event, its last sync error), kept per terminal
in ``terminal_reports`` for the store page. The API's hook (:mod:`server.api.telemetry`) reads
the request headers and calls :func:`record_report`.
"""

from __future__ import annotations

from .. import clock
from ..models import TerminalReport
from .uow import SqlUnitOfWork, use_case


@use_case
def record_report(
    uow: SqlUnitOfWork,
    terminal_id: str,
    version: str | None,
    depth: int | None,
    oldest_age_s: int | None = None,
    last_error: str | None = None,
) -> None:
    """Store the terminal's latest report; a value not given keeps the one before, and an
    empty ``last_error`` clears the stored one (the agent has no error now)."""
    s = uow.session
    row = s.get(TerminalReport, terminal_id)
    if row is None:
        row = TerminalReport(terminal_id=terminal_id)
        s.add(row)
    if version is not None:
        row.agent_version = version
    if depth is not None:
        row.queue_depth = depth
    if oldest_age_s is not None:
        row.oldest_event_age_s = oldest_age_s
    if last_error is not None:
        row.last_error = last_error or None
    row.reported_at = clock.now()
