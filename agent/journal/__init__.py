"""The journal SQLite file: sales, local ledger entries, the outbox, counters, print queue."""

from __future__ import annotations

from .db import connect_journal as connect_journal
from .store import Counters as Counters
from .store import Journal as Journal
from .store import LocalMember as LocalMember
from .store import LocalMemberRow as LocalMemberRow
from .store import Outbox as Outbox
from .store import PendingEvent as PendingEvent
from .store import QueueGauge as QueueGauge
from .store import Write as Write
