"""The POS plugin interface: what a POS may ask of tillclub, and what a plugin is.

``LoyaltyPort`` is the agent's side (``agent.sale.SaleService`` satisfies it): the moments a
POS talks to a loyalty system. ``PosPlugin`` is the POS's side: a transport (HTTP, files, a
simulated till) that turns the POS's requests into calls on the port. Every answer is a
JSON-safe dict (amounts as decimal strings), so every transport speaks the same contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from loyalty.identification import Identification

Answer = dict[str, Any]


class LoyaltyPort(Protocol):
    """The loyalty operations of one till, idempotent by the POS's own ids.

    Identifying or pricing again replaces what was there; a tender call sets the tender;
    finalising a recorded sale returns the first answer; a refund id is applied once; an
    enrolment retried on the same sale returns the first one.
    """

    def identify(self, pos_id: str, raw: str | Identification | None) -> Answer: ...

    def enrol(self, pos_id: str, data: Mapping[str, Any]) -> Answer:
        """Enrol a shopper who is no member yet and identify them on the sale.

        ``data``: ``name``, ``consent_terms`` (must be true), ``consent_marketing``, ``cpf``,
        ``phone``, ``email``, ``birth_date`` (``YYYY-MM-DD``), ``card_number`` (a pre-printed
        card handed over). A retry with the same sale id and the same CPF or card returns the
        first answer.
        """
        ...

    def price(
        self, pos_id: str, lines: Sequence[Mapping[str, Any]], coupons: Sequence[str] = ()
    ) -> Answer:
        """Price the basket; ``coupons`` are rule coupon codes presented with it (kept for
        the rest of the sale). A code that fires no rule is refused (``coupon_unknown``,
        ``coupon_not_valid``) and nothing changes."""
        ...

    def apply_voucher(self, pos_id: str, code: str) -> Answer:
        """Use an issued voucher, or present a campaign rule's coupon code (``ACUCAR20``)."""
        ...

    def apply_points(self, pos_id: str, points: int) -> Answer: ...

    def apply_cashback(self, pos_id: str, amount: Decimal | str) -> Answer: ...

    def finalise(self, pos_id: str) -> Answer: ...

    def cancel(self, pos_id: str) -> Answer: ...

    def refund(
        self, pos_refund_id: str, pos_sale_id: str, amount: Decimal | str, reason: str | None = None
    ) -> Answer: ...


SlipSource = Callable[[str], str | None]
"""Given a POS sale id, the loyalty slip as plain text (``None``: no such recorded sale)."""

ScanSource = Callable[[], Identification]
"""The read the agent's own scanner made for this till (raises a ``LoyaltyError`` if none)."""


class PosPlugin(ABC):
    """A POS integration: started by the agent with the port, stopped on shutdown.

    Subclasses set ``name`` (the name used in the agent's config) and implement
    :meth:`start` and :meth:`stop`. Optional dependencies are checked by :meth:`is_usable`.
    """

    name: ClassVar[str]

    def __init__(
        self,
        port: LoyaltyPort,
        options: Mapping[str, Any],
        slip: SlipSource | None = None,
        scans: ScanSource | None = None,
    ) -> None:
        self.port = port
        self.options = dict(options)
        self.slip = slip
        self.scans = scans

    @classmethod
    def is_usable(cls) -> bool:
        """Whether this plugin can run here (its optional dependencies are installed)."""
        return True

    @abstractmethod
    def start(self) -> None:
        """Begin serving the POS (returns at once; work happens in background threads)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving; requests in flight finish first."""

    def describe(self) -> str:
        """One line for the agent's status: where the POS reaches this plugin."""
        return self.name
