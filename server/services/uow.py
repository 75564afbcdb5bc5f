"""The unit of work: one session, one transaction; ``with uow:`` rolls back unless committed.

Built by a factory from the app (``SqlUnitOfWork.for_app``), never as a default argument, so
tests and CLI commands can hand a service the unit of work they want.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from .. import clock
from ..models.admin import AuditLog


class SqlUnitOfWork:
    session: Session

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self._committed = False

    @classmethod
    def for_app(cls, app: Flask) -> SqlUnitOfWork:
        factory: sessionmaker[Session] = app.extensions["tillclub.sessions"]
        return cls(factory)

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        self.session.begin()
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def audit(
        self,
        actor_type: str,
        actor_id: str,
        action: str,
        target_type: str,
        target_id: str,
        **detail: Any,
    ) -> None:
        """Record an administrative action in the audit log (same transaction)."""
        self.session.add(
            AuditLog(
                at=clock.now(),
                actor_type=actor_type,
                actor_id=actor_id,
                action=action,
                target_type=target_type,
                target_id=target_id,
                detail=detail,
            )
        )
