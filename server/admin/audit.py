"""The audit trail of the web UI: who changed what, with the record before and after.

Rows go into the server's ``audit_log`` in the same transaction as the change, so a change
without its audit row (or the reverse) cannot be committed. The app has no code path that
updates or deletes audit rows; on PostgreSQL a trigger refuses both (migration ``admin_0001``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..models import AuditLog

ACTOR_TYPE = "admin"


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: Any = None,
    after: Any = None,
    **extra: Any,
) -> None:
    """Add one audit row to ``session``'s transaction. Never pass a CPF, card secret or password."""
    detail: dict[str, Any] = {"before": before, "after": after}
    detail.update(extra)
    session.add(
        AuditLog(
            at=clock.now(),
            actor_type=ACTOR_TYPE,
            actor_id=actor,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
        )
    )


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditLog]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    session: Session,
    *,
    actor: str = "",
    action: str = "",
    target: str = "",
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """The audit log, newest first, filtered by actor, action prefix and target id."""
    stmt = select(AuditLog)
    if actor:
        stmt = stmt.where(AuditLog.actor_id == actor)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if target:
        stmt = stmt.where(AuditLog.target_id == target)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditLog.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage(list(rows), total, page, per_page)
