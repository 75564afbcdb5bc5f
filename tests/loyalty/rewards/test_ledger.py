"""The ledger entry: field checks that name the field, and the JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.errors import LoyaltyError
from loyalty.rewards import Currency, EntryKind, InvalidEntry, LedgerEntry, make_entry_id

from .conftest import T0, entry


def test_round_trip_through_json_keeps_every_field() -> None:
    e = entry(
        7,
        "12.30",
        currency=Currency.CASHBACK,
        at=T0.astimezone(timezone(timedelta(hours=-3))),
        available_at=T0 + timedelta(days=30),
        expires_at=T0 + timedelta(days=120),
        sale_id="S:LOJA-01:PDV-01:000000000003",
        rule_id="cb-5pct",
        store_id="LOJA-01",
        terminal_id="PDV-01",
        reason="5 % cashback",
    )
    d = json.loads(json.dumps(e.to_dict()))
    assert d["amount"] == "12.30"
    assert d["effective_at"] == "2025-03-01T09:00:00-03:00"
    assert LedgerEntry.from_dict(d) == e


@given(
    amount=st.integers(-(10**9), 10**9).filter(bool),
    seq=st.integers(0, 10**12 - 1),
    minutes=st.integers(-(10**6), 10**6),
)
def test_points_round_trip(amount: int, seq: int, minutes: int) -> None:
    kind = EntryKind.ADJUST
    e = entry(seq, amount, kind=kind, at=T0 + timedelta(minutes=minutes))
    assert LedgerEntry.from_dict(json.loads(json.dumps(e.to_dict()))) == e


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entry_id", "42"),
        ("member_id", ""),
        ("amount", Decimal("1.5")),  # points are whole
        ("amount", Decimal("-5")),  # an earn is positive
        ("amount", Decimal("NaN")),
        ("effective_at", datetime(2025, 1, 1)),  # noqa: DTZ001 - naive on purpose
        ("expires_at", "2025-01-01"),
        ("reverses", ""),
    ],
)
def test_bad_field_is_named(field: str, value: object) -> None:
    with pytest.raises(InvalidEntry) as err:
        replace(entry(1, 10), **{field: value})
    assert err.value.field == field
    assert field in err.value.message_en
    assert field in err.value.message_pt
    assert isinstance(err.value, LoyaltyError)


def test_cashback_is_whole_cents() -> None:
    with pytest.raises(InvalidEntry, match="cents"):
        entry(1, "1.005", currency=Currency.CASHBACK)


@pytest.mark.parametrize(
    ("kind", "amount"),
    [(EntryKind.REDEEM, 5), (EntryKind.EXPIRE, 5), (EntryKind.MATURE, 5), (EntryKind.ADJUST, 0)],
)
def test_sign_must_match_kind(kind: EntryKind, amount: int) -> None:
    with pytest.raises(InvalidEntry, match="amount"):
        entry(1, amount, kind=kind, reverses=make_entry_id("L", "T", 1))


@pytest.mark.parametrize("kind", [EntryKind.REVERSE, EntryKind.EXPIRE])
def test_reverse_and_expire_name_what_they_consume(kind: EntryKind) -> None:
    with pytest.raises(InvalidEntry) as err:
        entry(1, -5, kind=kind)
    assert err.value.field == "reverses"


def _good() -> dict[str, object]:
    return entry(1, 10).to_dict()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 1.5}, "amount"),  # a JSON float
        ({"amount": "ten"}, "amount"),
        ({"currency": "miles"}, "currency"),
        ({"kind": "gift"}, "kind"),
        ({"effective_at": "2025-03-01T12:00:00"}, "effective_at"),
        ({"effective_at": "yesterday"}, "effective_at"),
        ({"member_id": None}, "member_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_from_dict_rejects_bad_payloads_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidEntry) as err:
        LedgerEntry.from_dict({**_good(), **change})
    assert err.value.field == field


def test_from_dict_rejects_a_non_object() -> None:
    with pytest.raises(InvalidEntry):
        LedgerEntry.from_dict(["entry"])


def test_entries_are_immutable() -> None:
    e = entry(1, 10)
    with pytest.raises(AttributeError):
        e.amount = Decimal(20)  # type: ignore[misc]
