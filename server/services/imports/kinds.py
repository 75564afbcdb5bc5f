"""What every kind of import implements: its columns, and how a batch is decided and written.

A batch is decided first (:meth:`KindImporter.decide`: parse each line, look up what exists
with one query per key, and say per line create, update, unchanged or reject), reading only;
a dry run stops there. :meth:`KindImporter.write` then writes the decisions with bulk
statements. Decisions of earlier lines of the file are kept in a :class:`Seen` so a later
line naming the same record (the same external id, CPF or card twice in a file) is decided
against it, in a dry run too, where nothing was written.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.orm import Session

from ...security import CpfCipher
from .report import ImportOptions, Rejection
from .source import Line


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REJECT = "reject"


@dataclass
class Decision:
    line: Line
    action: Action
    payload: Any = None
    rejection: Rejection | None = None


@dataclass
class Seen:
    """What earlier lines of this file decided, by key (``("ext", id)``, ``("cpf", hash)``,
    ``("card", number)``, ...): the id of the record they made or matched, and its fields as
    they will be once written (so an identical repeat is unchanged)."""

    owner: dict[tuple[str, str], str] = field(default_factory=dict)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    keep: bool = True  # False for sales: a 20-million-row file is not held in memory

    def clear(self) -> None:
        self.owner.clear()
        self.state.clear()


@dataclass
class Context:
    session: Session
    cipher: CpfCipher
    options: ImportOptions
    zone: ZoneInfo
    now: dt.datetime
    run_id: int
    dry_run: bool
    seen: Seen
    stores: frozenset[str]
    header: list[str]
    cache: dict[str, Any] = field(default_factory=dict)

    def reject(self, line: Line, code: str, message: str, **values: Any) -> Decision:
        """A rejection of ``line``, with its cells under the file's own column names."""
        row = {
            name: (line.raw[i] if i < len(line.raw) else "") for i, name in enumerate(self.header)
        }
        return Decision(
            line, Action.REJECT, None, Rejection(line.number, code, message, values, row)
        )


class KindImporter(Protocol):
    """One kind's columns (canonical name -> aliases) and its batch work."""

    required: tuple[str, ...]
    aliases: dict[str, str]

    def decide(self, ctx: Context, lines: Sequence[Line]) -> list[Decision]: ...

    def write(self, ctx: Context, decisions: Sequence[Decision]) -> None: ...


def table_of(model: Any) -> Table:
    """A model's table, typed as the ``Table`` it is (``__table__`` is typed ``FromClause``)."""
    return cast(Table, model.__table__)
