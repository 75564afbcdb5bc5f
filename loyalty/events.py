"""The events an agent pushes to the server: past-tense facts from the till, pure data.

Each event has an ``event_id`` made at its origin, so the server applies it exactly once however
often it is re-sent. ``to_dict`` gives the JSON-safe wire form (amounts as decimal strings,
datetimes ISO 8601 with offset); ``event_from_dict`` parses any of them back, checking every
field, and raises :class:`InvalidEvent` naming the bad one. Wire ``type`` values: ``sale``,
``refund``, ``voucher_use``, ``enrolment``, ``ledger_entry``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from .bounds import DEFAULT_BOUNDS, Bounds, OutOfBounds
from .errors import LoyaltyError
from .rewards.ledger import LedgerEntry

T = TypeVar("T")


class InvalidEvent(LoyaltyError):
    """A pushed event with a missing, unknown or malformed field (``field`` names it)."""

    code = "invalid_event"

    def __init__(self, field_name: str, value: object, why: str) -> None:
        self.field = field_name
        shown = "***" if field_name == "cpf" else repr(value)[:80]
        super().__init__(
            f"invalid event field {field_name!r} = {shown}: {why}",
            f"campo {field_name!r} do evento inválido ({shown}): {why}",
        )


# -- parsing helpers: strict, JSON types only (a float has already lost the cents) ------------


def _get(d: Mapping[str, Any], name: str, parse: Callable[[str, Any], T]) -> T:
    if d.get(name) is None:
        raise InvalidEvent(name, None, "is required")
    return parse(name, d[name])


def _opt(d: Mapping[str, Any], name: str, parse: Callable[[str, Any], T]) -> T | None:
    value = d.get(name)
    return None if value is None else parse(name, value)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        raise InvalidEvent(name, value, "must be a non-empty string of at most 300 characters")
    return value


def _decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(name, value, 'must be a decimal string such as "12.50"')
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise InvalidEvent(name, value, "is not a number") from None
    if not result.is_finite():
        raise InvalidEvent(name, value, "is not a finite number")
    return result


def _money(name: str, value: Any) -> Decimal:
    result = _decimal(name, value)
    try:
        whole_cents = result == result.quantize(Decimal("0.01"))
    except InvalidOperation:  # 1e400 or 5,000 digits: too large to hold cents at all
        raise OutOfBounds(name, value, DEFAULT_BOUNDS.sale_total) from None
    if not whole_cents:
        raise InvalidEvent(name, value, "must be whole cents")
    return result


def _when(name: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidEvent(name, value, "must be an ISO 8601 string with a UTC offset")
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(name, value, "is not an ISO 8601 date-time") from None
    if result.utcoffset() is None:
        raise InvalidEvent(name, value, "must carry a UTC offset")
    return result


def _day(name: str, value: Any) -> date:
    if not isinstance(value, str):
        raise InvalidEvent(name, value, "must be a YYYY-MM-DD string")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(name, value, "is not a YYYY-MM-DD date") from None


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidEvent(name, value, "must be true or false")
    return value


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidEvent(name, value, "must be a non-negative integer")
    return value


def _items(name: str, value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidEvent(name, value, "must be a list of objects")
    return value


def _free_items(name: str, value: Any) -> list[Mapping[str, Any]]:
    items = _items(name, value)
    _plain(name, items)
    return items


def _entries(name: str, value: Any) -> tuple[LedgerEntry, ...]:
    out = []
    for raw in _items(name, value):
        try:
            out.append(LedgerEntry.from_dict(raw))
        except LoyaltyError as exc:
            raise InvalidEvent(name, raw.get("entry_id"), exc.message_en) from None
    return tuple(out)


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidEvent(name, value, "must be a list of non-empty strings")
    return value


def _object(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidEvent(name, value, "must be an object")
    _plain(name, value)
    return value


#: How deep a free-form object of an event (member context, refund lines) may nest.
MAX_FREE_DEPTH = 8


def _plain(name: str, value: Any) -> None:
    """A free-form value the server stores as JSON holds only JSON values: text, whole
    numbers, finite floats, booleans, null, lists and objects, nested at most
    :data:`MAX_FREE_DEPTH` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_FREE_DEPTH:
            raise InvalidEvent(name, "…", f"nests deeper than {MAX_FREE_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise InvalidEvent(name, item, "holds a number that is not finite")
        elif item is not None and not isinstance(item, str | int):
            raise InvalidEvent(name, item, "holds a value that is not JSON")


def _check_keys(d: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise InvalidEvent(
            f"{where}.{unknown[0]}" if where else unknown[0], d[unknown[0]], "unknown field"
        )


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


# -- the events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventHeader:
    """Fields every event carries: its id, where and when it happened."""

    event_id: str
    store_id: str
    terminal_id: str
    occurred_at: datetime

    def header_dict(self, type_: str) -> dict[str, Any]:
        return {
            "type": type_,
            "event_id": self.event_id,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "occurred_at": self.occurred_at.isoformat(),
        }

    @staticmethod
    def parse(d: Mapping[str, Any]) -> EventHeader:
        return EventHeader(
            _get(d, "event_id", _text),
            _get(d, "store_id", _text),
            _get(d, "terminal_id", _text),
            _get(d, "occurred_at", _when),
        )


_HEADER = frozenset({"type", "event_id", "store_id", "terminal_id", "occurred_at"})


@dataclass(frozen=True, slots=True)
class SaleLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal
    category_id: str | None = None
    brand: str | None = None
    tags: tuple[str, ...] = ()

    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"line_no", "sku", "quantity", "unit_price", "gross", "discount", "net", "category_id"}
        | {"brand", "tags"}
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku": self.sku,
            "category_id": self.category_id,
            "quantity": f"{self.quantity:f}",
            "unit_price": f"{self.unit_price:f}",
            "gross": f"{self.gross:f}",
            "discount": f"{self.discount:f}",
            "net": f"{self.net:f}",
            "brand": self.brand,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SaleLine:
        _check_keys(d, cls.KEYS, "lines[]")
        quantity = _get(d, "quantity", _decimal)
        try:
            exact = quantity == quantity.quantize(Decimal("0.001"))
        except InvalidOperation:  # too many digits to hold thousandths
            raise OutOfBounds("quantity", d["quantity"], DEFAULT_BOUNDS.quantity) from None
        if quantity <= 0 or not exact:
            raise InvalidEvent("quantity", d["quantity"], "must be positive, to 3 decimal places")
        line = cls(
            line_no=_get(d, "line_no", _count),
            sku=_get(d, "sku", _text),
            quantity=quantity,
            unit_price=_get(d, "unit_price", _money),
            gross=_get(d, "gross", _money),
            discount=_get(d, "discount", _money),
            net=_get(d, "net", _money),
            category_id=_opt(d, "category_id", _text),
            brand=_opt(d, "brand", _text),
            tags=tuple(_opt(d, "tags", _strings) or ()),
        )
        if line.discount < 0 or line.gross < 0 or line.net != line.gross - line.discount:
            raise InvalidEvent("net", d["net"], "must equal gross - discount, none negative")
        return line


@dataclass(frozen=True, slots=True)
class AppliedRule:
    """One explanation line: what a rule or voucher contributed to the sale."""

    rule_id: str
    kind: str
    amount: Decimal
    line_no: int | None = None
    description: str | None = None

    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"rule_id", "kind", "amount", "line_no", "description"}
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "amount": f"{self.amount:f}",
            "line_no": self.line_no,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AppliedRule:
        _check_keys(d, cls.KEYS, "applied_rules[]")
        return cls(
            rule_id=_get(d, "rule_id", _text),
            kind=_get(d, "kind", _text),
            amount=_get(d, "amount", _decimal),
            line_no=_opt(d, "line_no", _count),
            description=_opt(d, "description", _text),
        )


@dataclass(frozen=True, slots=True)
class TicketLine:
    """A raffle ticket as the till issued (or voided) it; ``number`` is ``None`` while owed."""

    ticket_id: str
    campaign_id: str
    number: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "campaign_id": self.campaign_id, "number": self.number}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TicketLine:
        _check_keys(d, frozenset({"ticket_id", "campaign_id", "number"}), "raffle_tickets.")
        number = d.get("number")
        if number is not None and (
            not isinstance(number, int) or isinstance(number, bool) or number < 0
        ):
            raise InvalidEvent("number", number, "must be a non-negative integer or null")
        return cls(_get(d, "ticket_id", _text), _get(d, "campaign_id", _text), number)


def _tickets(name: str, value: Any) -> tuple[TicketLine, ...]:
    tickets = tuple(TicketLine.from_dict(x) for x in _items(name, value))
    if len({t.ticket_id for t in tickets}) != len(tickets):
        raise InvalidEvent(name, value, "ticket ids must be unique")
    return tickets


def _voucher_ids(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidEvent(name, value, "must be a list of voucher ids")
    ids = tuple(_text(name, v) for v in value)
    if len(set(ids)) != len(ids):
        raise InvalidEvent(name, value, "voucher ids must be unique")
    return ids


@dataclass(frozen=True, slots=True)
class SaleRecorded:
    """A sale rung up at the till, as priced there, with the ledger entries it produced."""

    TYPE: ClassVar[str] = "sale"
    header: EventHeader
    sale_id: str
    member_id: str | None
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    lines: tuple[SaleLine, ...]
    applied_rules: tuple[AppliedRule, ...] = ()
    voucher_codes: tuple[str, ...] = ()
    ledger_entries: tuple[LedgerEntry, ...] = ()
    # What the till priced the member with (tier, segments, activated_offers, coupons), in
    # ``loyalty.pricing.parse_member`` form, so the server re-prices with the same inputs.
    member_context: Mapping[str, Any] | None = None
    # Raffle numbers ("números da sorte") issued for the sale; owed ones carry no number.
    raffle_tickets: tuple[TicketLine, ...] = ()
    # Rule coupon codes presented at the till (upper case), whoever the shopper: pricing input.
    coupon_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # raffle_tickets only when there are some: older servers refuse unknown keys.
        extra = {"raffle_tickets": [t.to_dict() for t in self.raffle_tickets]}
        coupons = {"coupon_codes": list(self.coupon_codes)}
        return (
            self.header.header_dict(self.TYPE)
            | (extra if self.raffle_tickets else {})
            | (coupons if self.coupon_codes else {})
            | {
                "member_context": None
                if self.member_context is None
                else dict(self.member_context),
                "sale_id": self.sale_id,
                "member_id": self.member_id,
                "currency": self.currency,
                "subtotal": f"{self.subtotal:f}",
                "discount_total": f"{self.discount_total:f}",
                "total": f"{self.total:f}",
                "lines": [line.to_dict() for line in self.lines],
                "applied_rules": [rule.to_dict() for rule in self.applied_rules],
                "voucher_codes": list(self.voucher_codes),
                "ledger_entries": [e.to_dict() for e in self.ledger_entries],
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], bounds: Bounds = DEFAULT_BOUNDS) -> SaleRecorded:
        """Parse and check a wire sale.

        :param bounds: the server's upper bounds; a sale beyond them is refused alone.
        :raises InvalidEvent: naming the first bad field.
        :raises OutOfBounds: a line or the sale beyond ``bounds`` (code ``out_of_bounds``).

        .. versionchanged:: 0.1
           Upper bounds on unit price, quantity, line amount, sale total and line count.
        """
        _check_keys(d, _HEADER | _SALE_KEYS, "")
        raw_lines = _get(d, "lines", _items)
        if len(raw_lines) > bounds.lines:
            bounds.check_sale(len(raw_lines), Decimal(0))
        lines = tuple(SaleLine.from_dict(x) for x in raw_lines)
        if not lines:
            raise InvalidEvent("lines", [], "a sale has at least one line")
        for line in lines:
            bounds.check_line(line.line_no, line.unit_price, line.quantity, line.gross)
        if len({line.line_no for line in lines}) != len(lines):
            raise InvalidEvent("lines", d["lines"], "line_no values must be unique")
        codes = d.get("voucher_codes") or []
        if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
            raise InvalidEvent("voucher_codes", codes, "must be a list of strings")
        currency = _get(d, "currency", _text)
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidEvent("currency", currency, "must be a 3-letter ISO 4217 code")
        event = cls(
            header=EventHeader.parse(d),
            sale_id=_get(d, "sale_id", _text),
            member_id=_opt(d, "member_id", _text),
            currency=currency.upper(),
            subtotal=_get(d, "subtotal", _money),
            discount_total=_get(d, "discount_total", _money),
            total=_get(d, "total", _money),
            lines=lines,
            applied_rules=tuple(
                AppliedRule.from_dict(x) for x in _opt(d, "applied_rules", _items) or []
            ),
            voucher_codes=tuple(codes),
            ledger_entries=_opt(d, "ledger_entries", _entries) or (),
            member_context=_opt(d, "member_context", _object),
            raffle_tickets=_opt(d, "raffle_tickets", _tickets) or (),
            coupon_codes=_opt(d, "coupon_codes", _coupon_codes) or (),
        )
        bounds.check_sale(len(lines), event.subtotal)
        if event.subtotal != sum((line.gross for line in lines), Decimal(0)):
            raise InvalidEvent("subtotal", d["subtotal"], "must be the sum of the lines' gross")
        if event.total != event.subtotal - event.discount_total or event.total < 0:
            raise InvalidEvent(
                "total", d["total"], "must be subtotal - discount_total, not negative"
            )
        return event


_SALE_KEYS = frozenset(
    {
        "sale_id",
        "member_id",
        "currency",
        "subtotal",
        "discount_total",
        "total",
        "lines",
        "applied_rules",
        "voucher_codes",
        "ledger_entries",
        "member_context",
        "raffle_tickets",
        "coupon_codes",
    }
)


def _coupon_codes(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > 20:
        raise InvalidEvent(name, value, "must be a list of at most 20 coupon codes")
    codes = tuple(_text(name, v).strip().upper() for v in value)
    if len(set(codes)) != len(codes):
        raise InvalidEvent(name, value, "coupon codes must be unique")
    return codes


@dataclass(frozen=True, slots=True)
class RefundRecorded:
    """A refund or cancellation of (part of) a sale, with its reversing ledger entries."""

    TYPE: ClassVar[str] = "refund"
    header: EventHeader
    refund_id: str
    sale_id: str
    amount: Decimal
    lines: tuple[Mapping[str, Any], ...] = ()
    reason: str | None = None
    ledger_entries: tuple[LedgerEntry, ...] = ()
    voided_tickets: tuple[TicketLine, ...] = ()  # raffle tickets the refund takes back
    # Voucher ids whose use on the sale a full refund gives back (the uses are keyed by id).
    restored_vouchers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # Optional keys only when set, so events without them stay as older agents sent them.
        extra: dict[str, Any] = {}
        if self.voided_tickets:
            extra["voided_tickets"] = [t.to_dict() for t in self.voided_tickets]
        if self.restored_vouchers:
            extra["restored_vouchers"] = list(self.restored_vouchers)
        return (
            self.header.header_dict(self.TYPE)
            | extra
            | {
                "refund_id": self.refund_id,
                "sale_id": self.sale_id,
                "amount": f"{self.amount:f}",
                "lines": [dict(x) for x in self.lines],
                "reason": self.reason,
                "ledger_entries": [e.to_dict() for e in self.ledger_entries],
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RefundRecorded:
        _check_keys(
            d,
            _HEADER
            | {"refund_id", "sale_id", "amount", "lines", "reason", "ledger_entries"}
            | {"voided_tickets", "restored_vouchers"},
            "",
        )
        amount = _get(d, "amount", _money)
        if amount < 0:
            raise InvalidEvent("amount", d["amount"], "must not be negative")
        return cls(
            header=EventHeader.parse(d),
            refund_id=_get(d, "refund_id", _text),
            sale_id=_get(d, "sale_id", _text),
            amount=amount,
            lines=tuple(_opt(d, "lines", _free_items) or []),
            reason=_opt(d, "reason", _text),
            ledger_entries=_opt(d, "ledger_entries", _entries) or (),
            voided_tickets=_opt(d, "voided_tickets", _tickets) or (),
            restored_vouchers=_opt(d, "restored_vouchers", _voucher_ids) or (),
        )


@dataclass(frozen=True, slots=True)
class VoucherUsed:
    """A voucher used on a sale at the till (marked used locally, maybe while offline).

    ``header.occurred_at`` is the use's time on the till's clock, which settlement ranks by.
    """

    TYPE: ClassVar[str] = "voucher_use"
    header: EventHeader
    voucher_code: str
    sale_id: str
    member_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.header.header_dict(self.TYPE) | {
            "voucher_code": self.voucher_code,
            "sale_id": self.sale_id,
            "member_id": self.member_id,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VoucherUsed:
        _check_keys(d, _HEADER | {"voucher_code", "sale_id", "member_id"}, "")
        return cls(
            header=EventHeader.parse(d),
            voucher_code=_get(d, "voucher_code", _text),
            sale_id=_get(d, "sale_id", _text),
            member_id=_opt(d, "member_id", _text),
        )


@dataclass(frozen=True, slots=True)
class MemberEnrolled:
    """A shopper joined at the till, on their request; the CPF is optional (LGPD choice)."""

    TYPE: ClassVar[str] = "enrolment"
    header: EventHeader
    member_id: str
    name: str
    consent_terms: bool
    consent_marketing: bool = False
    cpf: str | None = field(default=None, repr=False)
    phone: str | None = None
    email: str | None = None
    birth_date: date | None = None
    card_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.header.header_dict(self.TYPE) | {
            "member_id": self.member_id,
            "name": self.name,
            "consent_terms": self.consent_terms,
            "consent_marketing": self.consent_marketing,
            "cpf": self.cpf,
            "phone": self.phone,
            "email": self.email,
            "birth_date": _iso(self.birth_date),
            "card_number": self.card_number,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MemberEnrolled:
        keys = {
            "member_id",
            "name",
            "consent_terms",
            "consent_marketing",
            "cpf",
            "phone",
            "email",
            "birth_date",
            "card_number",
        }
        _check_keys(d, _HEADER | keys, "")
        event = cls(
            header=EventHeader.parse(d),
            member_id=_get(d, "member_id", _text),
            name=_get(d, "name", _text),
            consent_terms=_get(d, "consent_terms", _flag),
            consent_marketing=_opt(d, "consent_marketing", _flag) or False,
            cpf=_opt(d, "cpf", _text),
            phone=_opt(d, "phone", _text),
            email=_opt(d, "email", _text),
            birth_date=_opt(d, "birth_date", _day),
            card_number=_opt(d, "card_number", _text),
        )
        if not event.consent_terms:
            raise InvalidEvent("consent_terms", False, "enrolment needs the shopper's consent")
        return event


@dataclass(frozen=True, slots=True)
class LedgerEntryRecorded:
    """A ledger entry made at the till outside a sale or refund (an adjustment, a redemption)."""

    TYPE: ClassVar[str] = "ledger_entry"
    header: EventHeader
    entry: LedgerEntry

    def to_dict(self) -> dict[str, Any]:
        return self.header.header_dict(self.TYPE) | {"entry": self.entry.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LedgerEntryRecorded:
        _check_keys(d, _HEADER | {"entry"}, "")
        raw = d.get("entry")
        if not isinstance(raw, dict):
            raise InvalidEvent("entry", raw, "must be a ledger entry object")
        return cls(header=EventHeader.parse(d), entry=_entries("entry", [raw])[0])


Event = SaleRecorded | RefundRecorded | VoucherUsed | MemberEnrolled | LedgerEntryRecorded

EVENT_TYPES: dict[str, Callable[[Mapping[str, Any]], Event]] = {
    SaleRecorded.TYPE: SaleRecorded.from_dict,
    RefundRecorded.TYPE: RefundRecorded.from_dict,
    VoucherUsed.TYPE: VoucherUsed.from_dict,
    MemberEnrolled.TYPE: MemberEnrolled.from_dict,
    LedgerEntryRecorded.TYPE: LedgerEntryRecorded.from_dict,
}


class UnknownEventType(InvalidEvent):
    code = "unknown_event_type"


def event_from_dict(d: object, bounds: Bounds = DEFAULT_BOUNDS) -> Event:
    """Parse one wire event of any type; a sale is checked against ``bounds``.

    :raises UnknownEventType: for a missing or unknown ``type``.
    :raises InvalidEvent: naming the first bad field.
    :raises OutOfBounds: a sale beyond ``bounds`` (code ``out_of_bounds``).
    """
    if not isinstance(d, dict):
        raise InvalidEvent("event", d, "must be a JSON object")
    parse = EVENT_TYPES.get(d.get("type"))  # type: ignore[arg-type]
    if parse is None:
        raise UnknownEventType("type", d.get("type"), f"must be one of {', '.join(EVENT_TYPES)}")
    if bounds is not DEFAULT_BOUNDS and parse == SaleRecorded.from_dict:
        return SaleRecorded.from_dict(d, bounds)
    return parse(d)
