"""The values a push passes between its steps: pending events, rejections, the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyalty.events import Event

from .reprice import Reprice
from .till_grants import Hold


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class BatchResult:
    applied: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Pending:
    index: int
    event: Event
    reprice: Reprice | None = None
    cpf_hash: str | None = None
    voucher_id: str | None = None
    # entries the till may not grant alone, held for head office (services/till_grants.py)
    held: dict[str, Hold] = field(default_factory=dict)
    # reversals settled against the entries they reverse (services/refund_caps.py), not
    # written by the common ledger step; those already in the ledger are not here
    deferred: set[str] = field(default_factory=set)

    @property
    def event_id(self) -> str:
        return self.event.header.event_id


class Reject(Exception):
    """Raised inside a push step to reject one event with a stable code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
