"""The journal's old import path (``agent.journal.store``), kept for code written against it.

The journal is split by concept: :mod:`agent.journal.sales` (the write model),
:mod:`agent.journal.outbox`, :mod:`agent.journal.local_members`, :mod:`agent.journal.counters`,
:mod:`agent.journal.transaction`, :mod:`agent.journal.rows` and :mod:`agent.journal.answers`.
Import from ``agent.journal`` in new code.
"""

from __future__ import annotations

from .answers import pack as pack
from .answers import unpack as unpack
from .counters import Counters as Counters
from .local_members import LocalMember as LocalMember
from .local_members import LocalMemberRow as LocalMemberRow
from .outbox import Outbox as Outbox
from .outbox import PendingEvent as PendingEvent
from .outbox import QueueGauge as QueueGauge
from .sales import Journal as Journal
from .sales import Write as Write
