"""What applying one type of till event means at the server: the steps a handler fills in.

A push runs every event through the same steps (``services/ingest.py``); each step asks the
event's handler (the table in ``ingest_handlers/__init__.py``) what to do:

1. :meth:`EventHandler.prepare`: before any transaction, for all events of the type in the
   batch at once (re-price sales, hash CPFs);
2. :meth:`EventHandler.preload` then :meth:`EventHandler.check`: inside the transaction, what
   needs the database (an id taken by another event), loaded once per batch and checked
   event by event in push order; a :class:`Reject` refuses that event alone;
3. :meth:`EventHandler.rows`: the rows the event adds, inserted in bulk with the others;
4. :meth:`EventHandler.applied`: follow-ups once the rows are in, for the events this push
   claimed (a replay runs none of it).

:meth:`EventHandler.entries` names the ledger entries an event carries (origin and conflict
checks, ledger rows are common to all types).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from loyalty.rewards import TenderLimits
from loyalty.rewards.ledger import LedgerEntry

from ...security import CpfCipher
from ..ingest_types import Pending
from ..terminals import TerminalIdentity
from ..till_grants import AdjustmentLimits, Hold

if TYPE_CHECKING:
    from ..reprice import CampaignCache, VoucherLoader
    from ..uow import SqlUnitOfWork

E = TypeVar("E")
Rows = dict[str, list[dict[str, Any]]]
#: A field's name in the event, its value, and the model column it is stored in.
Text = tuple[str, str | None, Any]


@dataclass(frozen=True)
class PushContext:
    """What the steps before the transaction may use: the database (read only, through its
    own unit of work), the campaigns in force, the voucher loader, the CPF cipher, and the
    tills' tender rules the sale's redemptions are re-checked with (``None``: not checked)."""

    uow: SqlUnitOfWork
    campaigns: CampaignCache
    vouchers: VoucherLoader
    cipher: CpfCipher
    tenders: TenderLimits | None = None


@dataclass
class RowContext:
    """What :meth:`EventHandler.rows` writes with, and where."""

    who: TerminalIdentity
    now: dt.datetime
    cipher: CpfCipher
    rows: Rows = field(default_factory=dict)

    def add(self, table: str, *rows: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).extend(rows)


@dataclass
class GrantFacts:
    """What deciding which entries are held needs (``services/till_grants.py``), loaded once
    per push inside its transaction: the adjustment limits, and what the pushing terminal's
    adjustments moved today (updated as the push's own adjustments are applied)."""

    limits: AdjustmentLimits
    used_today: dict[str, Decimal]


class EventHandler(Generic[E]):
    """The default of every step: nothing to do. Subclasses name their event type."""

    event: ClassVar[type]

    def entries(self, event: E) -> tuple[LedgerEntry, ...]:
        return ()

    def reversals(self, event: E) -> tuple[LedgerEntry, ...]:
        """The entries of :meth:`entries` that are capped reversals (``refund_caps``): they go
        to ``refund_reversals`` (the handler's rows) instead of the common ledger step."""
        return ()

    def made_ids(self, event: E) -> tuple[tuple[str, str], ...]:
        """The ids besides the event id that the event names as its own, each with the kind
        it must be (``loyalty.rewards.ids``): a till may not take another till's ids."""
        return ()

    def texts(self, event: E) -> Iterable[Text]:
        """The strings the event stores, each with the column it goes to: a string longer
        than its column is refused (``ingest_lengths.py``), never cut by the database."""
        return ()

    def prepare(self, items: Sequence[Pending], ctx: PushContext) -> None:
        return None

    def preload(self, s: Session, items: Sequence[Pending]) -> Any:
        return None

    def check(self, item: Pending, known: Any) -> None:
        return None

    def holds(self, item: Pending, facts: GrantFacts) -> dict[str, Hold]:
        """The entries of the event the till may not grant alone, by entry id (held for
        head office, not applied); called after :meth:`check` for events that passed it."""
        return {}

    def rows(self, item: Pending, out: RowContext) -> None:
        return None

    def applied(self, s: Session, items: Sequence[Pending], now: dt.datetime) -> set[str]:
        """Follow-ups after the insert; returns the voucher ids whose uses must be settled."""
        return set()
