"""Pydantic models of the sync API: request validation and the OpenAPI components.

Events inside a push are deliberately *not* validated here: a batch is accepted as a list of
anything and each event is parsed on its own (``loyalty.events``), so one bad event is rejected
alone. The event models below document the wire form for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty.rewards.ids import ENTRY_ID_PATTERN

from ..errors import ErrorCode

Decimal2 = Field(pattern=r"^-?\d+(\.\d{1,2})?$", examples=["12.50"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(Strict):
    code: ErrorCode
    message: str
    details: Any | None = None


class RegistrationRequest(Strict):
    code: str = Field(
        min_length=1, max_length=64, description="The one-time code printed by register-terminal."
    )


class TillIdentification(Strict):
    """What a till needs to recognise the chain's members offline, handed over at registration."""

    card_prefix: str = Field(description="The chain's member card prefix (EAN-13, '2x').")
    legacy_card_prefixes: list[str] = Field(
        default_factory=list,
        description="The previous programme's card prefixes the chain declares: imported cards "
        "starting with one identify their member as printed (docs/import.md).",
    )
    cpf_hash_secret: str | None = Field(
        default=None,
        description="Base64 key of the keyed CPF hash, for CPF lookup at the till "
        "(null: the server has none configured).",
    )
    qr_public_key: str | None = Field(
        default=None,
        description="PEM of the Ed25519 key that verifies phone QR codes (null: no QR key).",
    )


class RegistrationResponse(Strict):
    terminal_id: str
    store_id: str
    credential: str = Field(description="Shown once; send as 'Authorization: Bearer <credential>'.")
    store_timezone: str | None = Field(
        default=None,
        description="The store's time zone (IANA; master data, also in the store record of "
        "the changes feed); null: not set, the campaigns' zones apply.",
    )
    identification: TillIdentification


class ChangesQuery(Strict):
    cursor: int = Field(
        default=0, ge=0, le=2**62, description="next_cursor of the previous page; 0 at first."
    )
    limit: int = Field(default=500, ge=1, le=5000)


ChangeType = Literal[
    "member",
    "card",
    "campaign",
    "offer",
    "voucher",
    "raffle",
    "raffle_block",
    "ledger_entry",
    "product",
    "store",
]


class Change(Strict):
    seq: int
    type: ChangeType
    id: str
    deleted: bool
    data: dict[str, Any] | None


class ChangesResponse(Strict):
    changes: list[Change]
    next_cursor: int
    has_more: bool


class EventsRequest(Strict):
    events: list[Any] = Field(
        max_length=500, description="Events (see SaleEvent, RefundEvent, ...)."
    )


class RejectedEvent(Strict):
    index: int = Field(description="Position of the event in the pushed list.")
    event_id: str | None
    code: str = Field(
        description="invalid_event, unknown_event_type, wrong_terminal, duplicate_sale, ..."
    )
    message: str


class EventsResponse(Strict):
    applied: list[str] = Field(description="Ids durably applied, now or by an earlier push.")
    rejected: list[RejectedEvent]
    flags: list[dict[str, Any]] = Field(
        description="Applied, but for head office: reprice_mismatch, voucher_conflict."
    )
    recovered: int | None = Field(
        default=None,
        description="Only on a re-push (X-Tillclub-Repush: 1): how many of its events the "
        "server did not have (lost by a restore) and applied now.",
    )


class Health(Strict):
    status: Literal["ok"]


class ReadyJobs(Strict):
    # background jobs whose latest run failed: a detail for monitoring, not a readiness test
    failing: list[dict[str, Any]] | None
    error: str | None = None


class Ready(Strict):
    status: Literal["ready", "not_ready"]
    database: str
    schema_revision: str | None
    jobs: ReadyJobs | None = None


# -- documentation of the event wire form (validated by loyalty.events, not here) ------------


class _Header(Strict):
    event_id: str = Field(max_length=128)
    store_id: str
    terminal_id: str
    occurred_at: dt.datetime = Field(description="ISO 8601 with a UTC offset.")


class LedgerEntry(Strict):
    entry_id: str = Field(pattern=ENTRY_ID_PATTERN)
    member_id: str
    currency: Literal["points", "cashback"]
    kind: Literal["earn", "redeem", "expire", "reverse", "adjust", "mature"]
    amount: str = Decimal2
    effective_at: dt.datetime
    available_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    sale_id: str | None = None
    rule_id: str | None = None
    store_id: str | None = None
    terminal_id: str | None = None
    reverses: str | None = None
    reason: str | None = None


class SaleLine(Strict):
    line_no: int
    sku: str
    category_id: str | None = None
    brand: str | None = None
    tags: list[str] = []
    quantity: str = Field(pattern=r"^\d+(\.\d{1,3})?$")
    unit_price: str = Decimal2
    gross: str = Decimal2
    discount: str = Decimal2
    net: str = Decimal2


class AppliedRule(Strict):
    rule_id: str
    kind: str
    amount: str
    line_no: int | None = None
    description: str | None = None


class TicketLine(Strict):
    ticket_id: str
    campaign_id: str
    number: int | None = Field(default=None, ge=0, description="null while owed by the server")


class SaleEvent(_Header):
    type: Literal["sale"]
    sale_id: str
    member_id: str | None = None
    currency: str = Field(min_length=3, max_length=3)
    subtotal: str = Decimal2
    discount_total: str = Decimal2
    total: str = Decimal2
    lines: list[SaleLine] = Field(min_length=1)
    applied_rules: list[AppliedRule] = []
    voucher_codes: list[str] = []
    ledger_entries: list[LedgerEntry] = []
    member_context: dict[str, Any] | None = Field(
        default=None, description="tier, segments, activated_offers, coupons as priced at the till."
    )
    raffle_tickets: list[TicketLine] = []


class RefundEvent(_Header):
    type: Literal["refund"]
    refund_id: str
    sale_id: str
    amount: str = Decimal2
    lines: list[dict[str, Any]] = []
    reason: str | None = None
    ledger_entries: list[LedgerEntry] = []
    voided_tickets: list[TicketLine] = []
    restored_vouchers: list[str] = Field(
        default=[],
        description="Voucher ids whose use on the sale this refund gives back (full refund).",
    )


class VoucherUseEvent(_Header):
    type: Literal["voucher_use"]
    voucher_code: str
    sale_id: str
    member_id: str | None = None


class EnrolmentEvent(_Header):
    type: Literal["enrolment"]
    member_id: str
    name: str
    consent_terms: Literal[True]
    consent_marketing: bool = False
    cpf: str | None = Field(
        default=None, description="11 digits; stored encrypted, never synced back."
    )
    phone: str | None = None
    email: str | None = None
    birth_date: dt.date | None = None
    card_number: str | None = None


class LedgerEntryEvent(_Header):
    type: Literal["ledger_entry"]
    entry: LedgerEntry


EVENT_MODELS: tuple[type[BaseModel], ...] = (
    SaleEvent,
    RefundEvent,
    VoucherUseEvent,
    EnrolmentEvent,
    LedgerEntryEvent,
)
