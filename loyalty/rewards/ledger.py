"""The ledger entry: one append-only movement of points or cashback (DESIGN.md invariant 2).

Entries are never edited: a refund, an expiry or a correction is a new entry. Each carries an
id made at its origin (:mod:`loyalty.rewards.ids`), so applying a replayed batch twice changes
nothing. Amounts are signed: points are whole numbers, cashback is BRL to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from .errors import InvalidEntry
from .ids import is_entry_id

CENT = Decimal("0.01")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Currency(Enum):
    POINTS = "points"
    CASHBACK = "cashback"


class EntryKind(Enum):
    """What an entry does; the sign each kind allows is in ``_SIGN``."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    REVERSE = "reverse"
    ADJUST = "adjust"
    # A zero-amount history marker ("R$ 5,00 became available"): maturity itself follows from
    # ``available_at`` of the earning entry, so the fold does not depend on a job having run.
    MATURE = "mature"
    # An opening balance carried over from the chain's previous programme (the importer,
    # ``server/services/imports``), with its original expiry: a lot like an earning. Only
    # head office makes it; a till sending one is held (``kind_not_allowed``).
    MIGRATION = "migration"


# +1 must be positive, -1 negative, 0 zero, None any non-zero amount.
_SIGN: dict[EntryKind, int | None] = {
    EntryKind.EARN: 1,
    EntryKind.REDEEM: -1,
    EntryKind.EXPIRE: -1,
    EntryKind.REVERSE: None,
    EntryKind.ADJUST: None,
    EntryKind.MATURE: 0,
    EntryKind.MIGRATION: 1,
}
_NEEDS_LINK = (EntryKind.REVERSE, EntryKind.EXPIRE, EntryKind.MATURE)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement in a member's points or cashback account.

    :param reverses: the entry this one consumes or undoes: the lot a redemption or expiry
        draws on, the earning a refund reverses. Required for ``reverse``, ``expire``, ``mature``.
    :raises InvalidEntry: naming the first bad field.
    """

    entry_id: str
    member_id: str
    currency: Currency
    kind: EntryKind
    amount: Decimal
    effective_at: datetime
    available_at: datetime | None = None
    expires_at: datetime | None = None
    sale_id: str | None = None
    rule_id: str | None = None
    store_id: str | None = None
    terminal_id: str | None = None
    reverses: str | None = None
    reason: str | None = None
    # The fold's sort key, microseconds since the epoch, computed once here: sorting 10,000
    # entries on aware datetimes costs more than the rest of the fold, on ints a tenth of it.
    sort_micros: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_entry_id(self.entry_id):
            raise InvalidEntry("entry_id", self.entry_id, "not an id made by make_entry_id")
        if not isinstance(self.member_id, str) or not self.member_id.strip():
            raise InvalidEntry("member_id", self.member_id, "must be a non-empty string")
        if not isinstance(self.currency, Currency):
            raise InvalidEntry("currency", self.currency, "must be points or cashback")
        if not isinstance(self.kind, EntryKind):
            raise InvalidEntry("kind", self.kind, "must be an EntryKind")
        self._check_amount()
        for name in ("effective_at", "available_at", "expires_at"):
            value = getattr(self, name)
            if value is None and name != "effective_at":
                continue
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise InvalidEntry(name, value, "must be a timezone-aware datetime")
        for name in ("sale_id", "rule_id", "store_id", "terminal_id", "reverses", "reason"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidEntry(name, value, "must be a non-empty string or None")
        if self.kind in _NEEDS_LINK and self.reverses is None:
            raise InvalidEntry(
                "reverses", None, f"a {self.kind.value} entry must name the entry it consumes"
            )
        object.__setattr__(self, "sort_micros", (self.effective_at - _EPOCH) // _MICROSECOND)

    def _check_amount(self) -> None:
        a = self.amount
        if not isinstance(a, Decimal) or not a.is_finite():
            raise InvalidEntry("amount", a, "must be a finite Decimal", "deve ser um Decimal")
        if self.currency is Currency.POINTS and a != a.to_integral_value():
            raise InvalidEntry("amount", a, "points are whole numbers", "pontos são inteiros")
        if self.currency is Currency.CASHBACK and a != a.quantize(CENT):
            raise InvalidEntry("amount", a, "cashback is whole cents", "cashback em centavos")
        sign = _SIGN[self.kind]
        ok = a != 0 if sign is None else (a > 0 if sign > 0 else a < 0 if sign < 0 else a == 0)
        if not ok:
            want = {1: "positive", -1: "negative", 0: "zero", None: "non-zero"}[sign]
            raise InvalidEntry("amount", a, f"a {self.kind.value} entry must be {want}")

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form: enums as values, Decimal and datetimes as ISO strings, ``None`` kept."""
        exp = Decimal(1) if self.currency is Currency.POINTS else CENT
        text = f"{self.amount.quantize(exp):f}"
        return {
            "entry_id": self.entry_id,
            "member_id": self.member_id,
            "currency": self.currency.value,
            "kind": self.kind.value,
            "amount": text,
            "effective_at": self.effective_at.isoformat(),
            "available_at": _iso(self.available_at),
            "expires_at": _iso(self.expires_at),
            "sale_id": self.sale_id,
            "rule_id": self.rule_id,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "reverses": self.reverses,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: object) -> LedgerEntry:
        """Parse :meth:`to_dict` output (e.g. from a sync payload), checking every field.

        :raises InvalidEntry: naming the missing, unknown or malformed field.
        """
        if not isinstance(d, dict):
            raise InvalidEntry("entry", d, "must be a JSON object")
        unknown = sorted(set(d) - _FIELDS)
        if unknown:
            raise InvalidEntry(unknown[0], d[unknown[0]], "unknown field")
        for name in ("entry_id", "member_id", "currency", "kind", "amount", "effective_at"):
            if d.get(name) is None:
                raise InvalidEntry(name, None, "is required", "é obrigatório")
        currency = _enum(Currency, "currency", d["currency"])
        kind = _enum(EntryKind, "kind", d["kind"])
        return cls(
            entry_id=d["entry_id"],
            member_id=d["member_id"],
            currency=currency,
            kind=kind,
            amount=_decimal(d["amount"]),
            effective_at=_datetime("effective_at", d["effective_at"]),
            available_at=_opt_datetime("available_at", d.get("available_at")),
            expires_at=_opt_datetime("expires_at", d.get("expires_at")),
            sale_id=d.get("sale_id"),
            rule_id=d.get("rule_id"),
            store_id=d.get("store_id"),
            terminal_id=d.get("terminal_id"),
            reverses=d.get("reverses"),
            reason=d.get("reason"),
        )


_FIELDS = frozenset(LedgerEntry.__dataclass_fields__) - {"sort_micros"}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


_E = TypeVar("_E", Currency, EntryKind)


def _enum(enum: type[_E], field: str, value: object) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidEntry(field, value, f"must be one of {allowed}") from None


def _decimal(value: object) -> Decimal:
    # Strings only (and ints for points): a JSON float has already lost the cents.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEntry("amount", value, 'must be a decimal string such as "12.50"')
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidEntry("amount", value, "is not a number", "não é um número") from None


def _datetime(field: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidEntry(field, value, "must be an ISO 8601 string with a UTC offset")
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEntry(field, value, "is not an ISO 8601 date-time") from None
    if result.utcoffset() is None:
        raise InvalidEntry(field, value, "must carry a UTC offset", "deve ter fuso horário")
    return result


def _opt_datetime(field: str, value: object) -> datetime | None:
    return None if value is None else _datetime(field, value)
