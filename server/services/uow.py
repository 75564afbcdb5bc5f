"""The unit of work: one session, one transaction; ``with uow:`` rolls back unless committed.

Built by a factory from the app (``SqlUnitOfWork.for_app``), never as a default argument, so
tests and CLI commands can hand a service the unit of work they want. Every use case that
changes state takes one (the web, the CLI and the jobs call the same use cases), and
:meth:`SqlUnitOfWork.audit` is the server's one audit writer: the row is written in the same
transaction as the change it records. A read-only query (a list, a report) takes a session
from the same factory with :meth:`SqlUnitOfWork.reading`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from .. import clock
from ..models.admin import AuditLog

P = ParamSpec("P")
R = TypeVar("R")
ADMIN = "admin"  # the actor type of a head-office user


class SqlUnitOfWork:
    session: Session

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self._committed = False
        self.active = False  # inside ``with uow:``

    @classmethod
    def for_app(cls, app: Flask) -> SqlUnitOfWork:
        factory: sessionmaker[Session] = app.extensions["tillclub.sessions"]
        return cls(factory)

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        self.session.begin()
        self._committed = False
        self.active = True
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
            self.active = False
            self.session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for read-only queries, closed on exit. Nothing is committed; what it
        loaded stays readable afterwards (closing detaches, it does not expire), so a view
        may render the rows after the block."""
        with self._factory() as session:
            yield session

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

    def audit_change(
        self,
        actor: str,
        action: str,
        target_type: str,
        target_id: object,
        *,
        before: Any = None,
        after: Any = None,
        **extra: Any,
    ) -> None:
        """Record a head-office user's change, with the record before and after.

        Never pass a CPF, card secret or password.
        """
        self.audit(
            ADMIN, actor, action, target_type, str(target_id), before=before, after=after, **extra
        )


def use_case(
    fn: Callable[Concatenate[SqlUnitOfWork, P], R],
) -> Callable[Concatenate[SqlUnitOfWork, P], R]:
    """Run ``fn(uow, ...)`` as one transaction: committed when it returns, rolled back when it
    raises. The use case's body works on ``uow.session`` and never commits itself. Called on a
    unit of work that is already open (one use case composed of others, such as an import
    that publishes), it joins that transaction and leaves the commit to its owner."""

    @wraps(fn)
    def run(uow: SqlUnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if uow.active:
            return fn(uow, *args, **kwargs)
        with uow:
            result = fn(uow, *args, **kwargs)
            uow.commit()
        return result

    return run
