"""The last member code the till's own scanner read, waiting for the POS to ask for it.

A serial scanner is wired to the agent, not to the POS: when the shopper's card or phone QR is
scanned, the read is identified at once and kept here; the POS's next ``identify`` with
``"source": "scanner"`` takes it. A read is taken once, and only while fresh, so a card
scanned for one shopper never lands on the next one's sale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from agent.devices.reads import Accepted, Rejected, ScanResult
from loyalty.errors import LoyaltyError
from loyalty.identification import Identification


class NoScan(LoyaltyError):
    """The POS asked for the scanner's read, and there is none (or the last was refused)."""

    code = "no_scan"


class ScanInbox:
    """Holds the latest accepted read for ``max_age`` seconds.

    :param clock: monotonic seconds (tests pass their own).
    """

    def __init__(self, max_age: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self._cond = threading.Condition()
        self._read: tuple[float, Identification] | None = None
        self._rejected: Rejected | None = None

    def put(self, result: ScanResult) -> None:
        """The scanner's callback: keep an accepted read, remember why one was refused."""
        with self._cond:
            if isinstance(result, Accepted):
                self._read, self._rejected = (self.clock(), result.identification), None
            else:
                self._read, self._rejected = None, result
            self._cond.notify_all()

    def take(self, wait: float = 0.0) -> Identification:
        """The fresh read, removed from the inbox; waits up to ``wait`` seconds for one.

        :raises NoScan: nothing fresh was read, or the last read was refused (its reason).
        """
        deadline = self.clock() + wait
        with self._cond:
            while True:
                if self._read is not None and self.clock() - self._read[0] <= self.max_age:
                    read = self._read[1]
                    self._read = None
                    return read
                if self._rejected is not None:
                    rejected, self._rejected = self._rejected, None
                    raise NoScan(rejected.message_en, rejected.message_pt)
                left = deadline - self.clock()
                if left <= 0:
                    raise NoScan(
                        "Nothing was scanned: scan the card or the phone QR again.",
                        "Nenhum código lido: passe o cartão ou o QR do celular de novo.",
                    )
                self._cond.wait(left)
