"""The wire form of ``loyalty.events``: round trips, strict parsing, and agreement with the
event models the OpenAPI document publishes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.events import (
    AppliedRule,
    EventHeader,
    InvalidEvent,
    LedgerEntryRecorded,
    MemberEnrolled,
    RefundRecorded,
    SaleLine,
    SaleRecorded,
    UnknownEventType,
    VoucherUsed,
    event_from_dict,
)
from loyalty.rewards.ids import make_entry_id
from loyalty.rewards.ledger import Currency, EntryKind, LedgerEntry
from server.api import schemas

H = EventHeader(
    "V:1",
    "LOJA-01",
    "T1",
    dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
)
ENTRY = LedgerEntry(
    make_entry_id("LOJA-01", "T1", 1),
    "M1",
    Currency.POINTS,
    EntryKind.EARN,
    Decimal(12),
    H.occurred_at,
    sale_id="S1",
)

cents = st.integers(0, 10**7).map(lambda c: Decimal(c).scaleb(-2))


@given(prices=st.lists(cents, min_size=1, max_size=6), discount=st.integers(0, 100))
def test_sale_round_trips_and_matches_the_published_model(
    prices: list[Decimal], discount: int
) -> None:
    lines = tuple(
        SaleLine(
            i + 1,
            f"SKU{i}",
            Decimal("1.250") if i == 0 else Decimal(2),
            p,
            p,
            Decimal(0),
            p,
            category_id="C",
        )
        for i, p in enumerate(prices)
    )
    subtotal = sum(prices, Decimal(0))
    off = min(subtotal, Decimal(discount).scaleb(-2))
    sale = SaleRecorded(
        H,
        "S1",
        "M1",
        "BRL",
        subtotal,
        off,
        subtotal - off,
        lines,
        (AppliedRule("R1", "basket_amount_off", -off),),
        ("ABC",),
        (ENTRY,),
        {"tier": "gold"},
    )
    wire = sale.to_dict()
    assert event_from_dict(wire) == sale
    schemas.SaleEvent.model_validate(wire)


@pytest.mark.parametrize(
    ("event", "model"),
    [
        (
            RefundRecorded(H, "RF1", "S1", Decimal("5.00"), ({"line_no": 1},), "troca", (ENTRY,)),
            schemas.RefundEvent,
        ),
        (VoucherUsed(H, "ABCD-EFGH", "S1", "M1"), schemas.VoucherUseEvent),
        (
            MemberEnrolled(
                H,
                "M9",
                "Ana",
                True,
                True,
                "39053344705",
                "+5511999990000",
                "a@b.c",
                dt.date(1990, 1, 2),
                "2900000000018",
            ),
            schemas.EnrolmentEvent,
        ),
        (LedgerEntryRecorded(H, ENTRY), schemas.LedgerEntryEvent),
    ],
)
def test_every_event_round_trips(event: object, model: type) -> None:
    wire = event.to_dict()  # type: ignore[attr-defined]
    assert event_from_dict(wire) == event
    model.model_validate(wire)


def test_errors_name_the_field_and_never_echo_a_cpf() -> None:
    wire = MemberEnrolled(H, "M9", "Ana", True, cpf="39053344705").to_dict()
    with pytest.raises(InvalidEvent, match="'consent_terms'"):
        event_from_dict(wire | {"consent_terms": False})
    with pytest.raises(InvalidEvent) as info:
        event_from_dict(wire | {"cpf": 39053344705})
    assert "39053344705" not in str(info.value)
    assert info.value.field == "cpf"
    assert "39053344705" not in repr(MemberEnrolled(H, "M9", "Ana", True, cpf="39053344705"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": 10.5}, "total"),
        ({"occurred_at": "2026-03-02T09:30:00"}, "occurred_at"),
        ({"lines": []}, "lines"),
        ({"surprise": 1}, "surprise"),
        ({"subtotal": "1.001"}, "subtotal"),
    ],
)
def test_sale_parsing_is_strict(change: dict[str, object], field: str) -> None:
    p = Decimal("10.00")
    wire = SaleRecorded(
        H, "S1", None, "BRL", p, Decimal(0), p, (SaleLine(1, "X", Decimal(1), p, p, Decimal(0), p),)
    ).to_dict()
    with pytest.raises(InvalidEvent) as info:
        event_from_dict(wire | change)
    assert info.value.field == field


def test_unknown_type_has_its_own_code() -> None:
    with pytest.raises(UnknownEventType) as info:
        event_from_dict({"type": "teleport"})
    assert info.value.code == "unknown_event_type"
