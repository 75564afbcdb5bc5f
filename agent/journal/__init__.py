"""The journal SQLite file: sales, local ledger entries, the outbox, counters, print queue.

Modules: ``db`` (schema, migration), ``sales`` (the write model: :class:`Journal`,
:class:`Write`), ``transaction`` (ids and rollback around a write), ``counters``, ``outbox``
(and the :class:`QueueGauge`), ``local_members`` (shoppers enrolled here), ``rows`` (named
rows), ``answers`` (the one stored form of an answer), ``keys`` (the card hash and the seal of
personal payloads), ``protect`` (their conversion at open).
"""

from __future__ import annotations

from .counters import Counters as Counters
from .db import connect_journal as connect_journal
from .held import HeldEvents as HeldEvents
from .local_members import LocalMember as LocalMember
from .local_members import LocalMemberRow as LocalMemberRow
from .local_members import LocalMembers as LocalMembers
from .local_members import prune_synced as prune_synced
from .outbox import Outbox as Outbox
from .outbox import PendingEvent as PendingEvent
from .outbox import QueueGauge as QueueGauge
from .rows import IssuedTicket as IssuedTicket
from .rows import LocalVoucherUse as LocalVoucherUse
from .rows import OutboxRow as OutboxRow
from .rows import RecordedSale as RecordedSale
from .rows import RefundRow as RefundRow
from .rows import RefundStateRow as RefundStateRow
from .rows import SaleRow as SaleRow
from .rows import TicketRow as TicketRow
from .rows import VoucherRestoreRow as VoucherRestoreRow
from .rows import VoucherUseRow as VoucherUseRow
from .sales import Journal as Journal
from .sales import Write as Write
from .transaction import JournalTransaction as JournalTransaction
