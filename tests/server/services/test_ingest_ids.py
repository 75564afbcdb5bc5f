"""A till speaks only for itself: the ids it sends in the tills' format name it.

GIVEN two tills of one store
WHEN one pushes a sale, refund or enrolment whose own id (made by ``loyalty.rewards.ids``)
names the other till, or an id of the wrong kind
THEN that event alone is rejected (``wrong_terminal`` / ``invalid_id``), so a till can never
take the ids the other will make; the rest of the batch applies.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from loyalty.rewards import make_member_id, make_refund_id, make_sale_id

from ..conftest import Till, register_till


def test_ids_of_another_terminal_or_kind_are_refused(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    other = register_till(app, client, "LOJA-01", "PDV 2")
    stolen_sale = till.sale("M1", ["3.00"])
    stolen_sale["sale_id"] = make_sale_id(other.store_id, other.terminal_id, 77)
    wrong_kind = till.sale("M1", ["3.00"])
    wrong_kind["sale_id"] = make_refund_id(till.store_id, till.terminal_id, 78)
    stolen_refund = till.header("refund") | {
        "refund_id": make_refund_id(other.store_id, other.terminal_id, 1),
        "sale_id": make_sale_id(till.store_id, till.terminal_id, 1),
        "amount": "1.00",
    }
    stolen_member = till.header("enrolment") | {
        "member_id": make_member_id(other.store_id, other.terminal_id, 1),
        "name": "Ana",
        "consent_terms": True,
        "consent_marketing": False,
    }
    good = till.sale("M1", ["2.00"])
    answer = till.push([stolen_sale, wrong_kind, stolen_refund, stolen_member, good])
    assert answer["applied"] == [good["event_id"]]
    codes = [(r["index"], r["code"]) for r in answer["rejected"]]
    assert codes == [
        (0, "wrong_terminal"),
        (1, "invalid_id"),
        (2, "wrong_terminal"),
        (3, "wrong_terminal"),
    ]
    # the other till's own sale with that id still applies
    mine = other.sale("M1", ["3.00"])
    mine["sale_id"] = make_sale_id(other.store_id, other.terminal_id, 77)
    assert other.push([mine])["applied"] == [mine["event_id"]]
