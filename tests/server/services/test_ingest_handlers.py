"""Ingest dispatches each till event through one table from event type to handler.

Every type ``loyalty.events`` parses has exactly one handler; a type without one is refused
with a stable code; the ingest service (not the push view) prepares each type's events, e.g.
re-prices a sale with its member's personal offers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from loyalty.events import EVENT_TYPES
from server.db import new_session
from server.models import Sale
from server.services.ingest_handlers import EVENT_HANDLERS, handler_for
from server.services.ingest_types import Reject
from server.services.members import add_member
from server.services.offers import add_offer
from server.services.uow import SqlUnitOfWork

from ..conftest import Till


def test_every_event_type_has_exactly_one_handler() -> None:
    parsed = {parse.__self__ for parse in EVENT_TYPES.values()}  # type: ignore[attr-defined]
    assert set(EVENT_HANDLERS) == parsed
    assert sorted(cls.TYPE for cls in EVENT_HANDLERS) == sorted(EVENT_TYPES)
    for cls, handler in EVENT_HANDLERS.items():
        assert handler.event is cls
    handlers = list(EVENT_HANDLERS.values())
    assert len({id(h) for h in handlers}) == len(handlers)  # one handler object per type
    assert len({type(h) for h in handlers}) == len(handlers)


def test_an_event_type_without_a_handler_is_refused_with_a_code() -> None:
    class GiftCardSold:
        TYPE = "gift_card_sold"

    with pytest.raises(Reject) as refused:
        handler_for(GiftCardSold())
    assert refused.value.code == "unknown_event_type"
    assert "gift_card_sold" in refused.value.message


def test_an_unknown_type_in_a_push_is_refused_alone(till: Till) -> None:
    sale = till.sale(None, ["3.00"])
    odd = till.header("gift_card_sold") | {"amount": "50.00"}
    answer = till.push([odd, sale])
    assert answer["applied"] == [sale["event_id"]]
    assert [(r["index"], r["code"]) for r in answer["rejected"]] == [(0, "unknown_event_type")]


def test_the_ingest_service_reprices_a_sale_with_its_members_offers(app: Flask, till: Till) -> None:
    """GIVEN a member with a personal price of R$ 14,99 on SKU1 (R$ 17,49 on the shelf)
    WHEN the till pushes the sale it priced with that offer
    THEN the server re-prices it the same way (the offers are loaded by the ingest service)."""
    cipher = app.extensions["tillclub.cpf"]
    add_member(SqlUnitOfWork.for_app(app), cipher, "MOFF", "Oferta")
    add_offer(
        SqlUnitOfWork.for_app(app),
        "perso-1",
        "MOFF",
        "SKU1 por R$ 14,99",
        {
            "id": "perso-1",
            "kind": "member_price",
            "name": "Seu preço",
            "sku": "SKU1",
            "price": "14.99",
            "audience": {"member_ids": ["MOFF"]},
        },
    )
    sale = till.sale("MOFF", ["17.49"])
    sale["lines"][0] |= {"discount": "2.50", "net": "14.99"}
    sale |= {"discount_total": "2.50", "total": "14.99"}
    plain = till.sale("MOFF", ["17.49"])  # priced without the offer: the server disagrees
    answer = till.push([sale, plain])
    assert answer["rejected"] == []
    assert [f["event_id"] for f in answer["flags"]] == [plain["event_id"]]
    with new_session(app) as s:
        row = s.get_one(Sale, sale["sale_id"])
        assert (row.total, row.reprice_status.value) == (Decimal("14.99"), "match")
        assert s.get_one(Sale, plain["sale_id"]).reprice_status.value == "mismatch"
