"""The journal's rows as named values: what a write puts in and what a read gives back.

NamedTuples, not dataclasses: a row is handed to ``sqlite3`` as it is (a tuple in the order of
its table's columns), so naming a field costs a sale nothing at finalise.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class SaleRow(NamedTuple):
    """A finalised sale; ``answer`` is what the POS heard, replayed on a retry."""

    pos_id: str
    sale_id: str
    member_id: str | None
    occurred_at: str
    total_cents: int
    answer: dict[str, Any]


class RefundRow(NamedTuple):
    pos_id: str
    refund_id: str
    sale_id: str
    answer: dict[str, Any]


class RefundStateRow(NamedTuple):
    """What all refunds of a sale reversed so far (JSON of ``loyalty.rewards.RefundState``)."""

    sale_id: str
    state: str


class VoucherUseRow(NamedTuple):
    voucher_id: str
    sale_id: str
    member_id: str | None
    used_at: str


class VoucherRestoreRow(NamedTuple):
    """A use a full refund of its sale gives back: the till accepts the voucher again."""

    voucher_id: str
    sale_id: str
    refund_id: str
    restored_at: str


class TicketRow(NamedTuple):
    """A raffle ticket given out here; ``number`` ``None``: owed, the server numbers it."""

    ticket_id: str
    sale_id: str
    campaign_id: str
    number: int | None
    member_id: str
    issued_at: str


class OutboxRow(NamedTuple):
    """An event for the server; ``payload`` is its wire JSON (str, or the bytes orjson makes)."""

    event_id: str
    type: str
    payload: str | bytes


class RecordedSale(NamedTuple):
    """A sale made here, as a refund reads it back."""

    pos_id: str
    member_id: str | None
    total_cents: int
    answer: dict[str, Any]


class IssuedTicket(NamedTuple):
    """A raffle ticket of a sale, as a refund reads it back (issue order)."""

    ticket_id: str
    campaign_id: str
    number: int | None
    member_id: str
    issued_at: str


class LocalVoucherUse(NamedTuple):
    """A use of a voucher at this till; ``restored``: a full refund of the sale gave it back."""

    sale_id: str
    member_id: str | None
    used_at: str
    restored: bool
