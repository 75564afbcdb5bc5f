"""The audit trail as head office reads it: who changed what, with the record before and after.

Rows are written only by the unit of work (``SqlUnitOfWork.audit``, and ``audit_change`` for a
head-office user's change) in the same transaction as the change, so a change without its
audit row (or the reverse) cannot be committed. The app has no code path that
updates or deletes audit rows; on PostgreSQL a trigger refuses both (migration ``admin_0001``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditLog
from .uow import SqlUnitOfWork


def record_refusal(
    uow: SqlUnitOfWork, actor: str, action: str, target_type: str, target_id: str, reason: str
) -> None:
    """Audit a head-office attempt that was refused (``<action>.refused``, the reason in
    ``detail``), in its own transaction: the refused change itself was rolled back or never
    started, and the attempt must stay on record anyway."""
    with uow:
        uow.audit_change(
            actor[:64], f"{action}.refused"[:64], target_type[:32], target_id[:128], reason=reason
        )
        uow.commit()


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
