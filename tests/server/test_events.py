"""Push: each event applies exactly once, bad events are rejected one by one, with reasons."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyalty.identification import cpf_hash
from loyalty.rewards.balances import balance
from loyalty.rewards.ledger import Currency, LedgerEntry
from server.db import new_session
from server.models import AppliedEvent, LedgerEntryRow, Member, RejectedEvent, Sale, SaleLine
from server.security import CpfCipher
from server.services.campaign_publish import put_campaign
from server.services.uow import SqlUnitOfWork

from .conftest import SECRETS, T0, Till, register_till

CPF = "39053344705"


def _counts(app: Flask) -> tuple[int, int, int]:
    with new_session(app) as s:
        return (
            s.scalar(select(func.count()).select_from(AppliedEvent)) or 0,
            s.scalar(select(func.count()).select_from(Sale)) or 0,
            s.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0,
        )


def _points(till: Till, member_id: str) -> Decimal:
    changes, _ = till.pull_all()
    entries = [LedgerEntry.from_dict(c["data"]) for c in changes if c["type"] == "ledger_entry"]
    mine = [e for e in entries if e.member_id == member_id]
    return balance(mine, Currency.POINTS, T0 + dt.timedelta(days=1)).available


POINTS_CAMPAIGN = {
    "rules": [
        {
            "id": "R1",
            "kind": "points",
            "name": "1 ponto por real",
            "per_amount": "1.00",
            "points": 1,
        }
    ]
}


def test_a_sale_is_applied_once_however_often_it_is_sent(app: Flask, till: Till) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS_CAMPAIGN)
    sale = till.sale("M1", ["10.00", "5.50"], points="15")
    first = till.push([sale])
    assert first == {"applied": [sale["event_id"]], "rejected": [], "flags": []}
    for _ in range(3):
        assert till.push([sale, sale])["applied"] == [sale["event_id"]]
    assert _counts(app) == (1, 1, 1)
    with new_session(app) as s:
        row = s.get_one(Sale, sale["sale_id"])
        assert (row.subtotal, row.total) == (Decimal("15.50"), Decimal("15.50"))
        assert row.reprice_status.value == "match"
        lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == sale["sale_id"])).all()
        assert [(line.line_no, line.net) for line in lines] == [
            (1, Decimal("10.00")),
            (2, Decimal("5.50")),
        ]
    assert _points(till, "M1") == Decimal(15)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_resend_order_gives_the_same_balance(
    app: Flask, till: Till, data: st.DataObject
) -> None:
    """GIVEN five sales with points WHEN pushed as random overlapping, shuffled batches
    THEN every event is applied exactly once and the balance is the sum of the points."""
    if not till.seq:
        put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS_CAMPAIGN)
    member = f"M-{till.seq}"
    points = data.draw(st.lists(st.integers(1, 500), min_size=5, max_size=5))
    # 1 point per R$ 1, so each sale's points are what the server derives too
    events = [till.sale(member, [f"{p}.00"], points=str(p)) for p in points]
    seed = data.draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    for _ in range(data.draw(st.integers(1, 4))):
        batch = rng.sample(events, rng.randint(1, 5)) + rng.sample(events, rng.randint(0, 3))
        rng.shuffle(batch)
        answer = till.push(batch)
        assert set(answer["applied"]) == {e["event_id"] for e in batch}
    till.push(events)  # whatever happened before, the full batch completes it
    assert _points(till, member) == Decimal(sum(points))
    with new_session(app) as s:
        ids = [e["event_id"] for e in events]
        assert (
            s.scalar(
                select(func.count()).select_from(AppliedEvent).where(AppliedEvent.event_id.in_(ids))
            )
            == 5
        )


def test_a_price_difference_is_flagged_never_rejected(app: Flask, till: Till) -> None:
    """GIVEN 1 point per R$ 1 WHEN the till gave 20 points for R$ 15,50 THEN the sale is
    applied, marked mismatch, and the answer flags the difference (15 vs 20); the till's
    20 points are held for head office, not credited (a till may not grant more)."""
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS_CAMPAIGN)
    sale = till.sale("M1", ["10.00", "5.50"], points="20")
    answer = till.push([sale])
    assert answer["applied"] == [sale["event_id"]]
    assert answer["flags"] == [
        {
            "event_id": sale["event_id"],
            "code": "reprice_mismatch",
            "sale_id": sale["sale_id"],
            "differences": {"points": {"till": "20", "server": "15"}},
        },
        {
            "code": "entry_held",
            "event_id": sale["event_id"],
            "entry_id": sale["ledger_entries"][0]["entry_id"],
            "reason": "earn_not_derived",
            "detail": "till earned 20 points, the re-priced sale gives 15",
        },
    ]
    assert _points(till, "M1") == Decimal(0)
    with new_session(app) as s:
        row = s.get_one(Sale, sale["sale_id"])
        assert row.reprice_status.value == "mismatch"
        assert row.reprice_detail["differences"]["points"] == {"till": "20", "server": "15"}
    assert till.push([sale])["flags"] == []  # a re-send is not a new finding


def test_bad_events_are_rejected_alone(app: Flask, till: Till) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS_CAMPAIGN)
    good = till.sale("M1", ["3.00"], points="3")
    float_amount = till.sale("M1", ["3.00"])
    float_amount["total"] = 3.0
    other_terminal = till.sale("M1", ["1.00"])
    other_terminal["terminal_id"] = "TSOMEONEELSE"
    foreign_entry = till.sale("M1", ["2.00"], points="2")
    foreign_entry["ledger_entries"][0]["entry_id"] = "E:LOJA-99:T1:000000000001"
    bad_sum = till.sale("M1", ["2.00"])
    bad_sum["total"] = "1.99"
    batch: list[Any] = [
        "not an object",
        {"type": "sale"},
        {"type": "teleport", "event_id": "X1"},
        float_amount,
        good,
        other_terminal,
        foreign_entry,
        bad_sum,
    ]
    answer = till.push(batch)
    assert answer["applied"] == [good["event_id"]]
    codes = [(r["index"], r["code"]) for r in answer["rejected"]]
    assert codes == [
        (0, "invalid_event"),
        (1, "invalid_event"),
        (2, "unknown_event_type"),
        (3, "invalid_event"),
        (5, "wrong_terminal"),
        (6, "wrong_terminal"),
        (7, "invalid_event"),
    ]
    by_index = {r["index"]: r for r in answer["rejected"]}
    assert "'total'" in by_index[3]["message"]
    assert by_index[2]["event_id"] == "X1"
    assert _counts(app) == (1, 1, 1)
    till.push([other_terminal])  # the same rejection again: counted, not duplicated
    with new_session(app) as s:
        rows = {r.event_id: r for r in s.scalars(select(RejectedEvent))}
    assert rows[other_terminal["event_id"]].attempts == 2
    assert rows[other_terminal["event_id"]].code == "wrong_terminal"
    assert rows["X1"].code == "unknown_event_type"
    assert good["event_id"] not in rows


def test_a_sale_id_reused_by_another_event_is_rejected(till: Till) -> None:
    sale = till.sale(None, ["1.00"])
    till.push([sale])
    copy = dict(sale, event_id=till.event_id())
    answer = till.push([copy])
    assert answer["applied"] == []
    assert answer["rejected"][0]["code"] == "duplicate_sale"


def test_a_ledger_entry_id_with_other_content_is_a_conflict(till: Till) -> None:
    sale = till.sale("M1", ["1.00"], points="1")
    till.push([sale])
    forged = till.header("ledger_entry") | {"entry": dict(sale["ledger_entries"][0], amount="999")}
    answer = till.push([forged])
    assert answer["rejected"][0]["code"] == "ledger_conflict"


def test_enrolment_stores_the_cpf_encrypted_and_syncs_only_its_hash(app: Flask, till: Till) -> None:
    event = till.header("enrolment") | {
        "member_id": (new := till.member_id()),
        "name": "Maria Silva",
        "cpf": "390.533.447-05",
        "consent_terms": True,
        "consent_marketing": True,
        "card_number": "2900000000018",
    }
    assert till.push([event])["applied"] == [event["event_id"]]
    secret = SECRETS["CPF_HASH_SECRET"]
    import base64

    expected_hash = cpf_hash(CPF, base64.b64decode(secret))
    with new_session(app) as s:
        member = s.get_one(Member, new)
        assert member.cpf_hash == expected_hash
        assert member.cpf_encrypted is not None
        assert CPF.encode() not in member.cpf_encrypted
        cipher = CpfCipher(base64.b64decode(SECRETS["CPF_KEY"]), base64.b64decode(secret))
        assert cipher.decrypt(member.cpf_encrypted, new) == CPF
        assert member.consent_marketing_at == T0
    response = till.client.get("/api/v1/changes", headers=till.headers)
    assert CPF not in response.get_data(as_text=True)
    assert "390.533.447-05" not in response.get_data(as_text=True)
    kinds = {c["type"]: c for c in response.get_json()["changes"]}
    assert kinds["member"]["data"]["cpf_hash"] == expected_hash
    assert kinds["card"]["data"] == {
        "number": "2900000000018",
        "member_id": new,
        "status": "active",
        "replaced_by": None,
    }
    other = till.member_id()
    again = dict(event, event_id=till.event_id(), member_id=other, card_number=None)
    (refused,) = till.push([again])["rejected"]
    assert refused["code"] == "cpf_already_enrolled"
    assert f"member id {other!r}" in refused["message"]  # head office knows whose sales to move
    assert CPF not in refused["message"]


def test_refund_reverses_points(app: Flask, till: Till) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS_CAMPAIGN)
    sale = till.sale("M1", ["50.00"], points="50")
    earn_id = sale["ledger_entries"][0]["entry_id"]
    refund = till.header("refund") | {
        "refund_id": till.refund_id(),
        "sale_id": sale["sale_id"],
        "amount": "50.00",
        "ledger_entries": [
            till.entry("M1", "-50", kind="reverse", reverses=earn_id, sale_id=sale["sale_id"])
        ],
    }
    # the refund may arrive first (another batch, reordered): both still apply once
    assert till.push([refund])["applied"] == [refund["event_id"]]
    assert till.push([sale, refund])["applied"] == [sale["event_id"], refund["event_id"]]
    assert _points(till, "M1") == Decimal(0)


def test_two_terminals_of_two_stores_cannot_push_each_others_events(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    other = register_till(app, client, "LOJA-02", "PDV 9")
    sale = till.sale("M1", ["1.00"])
    answer = other.push([sale])
    assert answer["rejected"][0]["code"] == "wrong_terminal"


def test_batch_limits_and_envelope_errors(app: Flask, client: FlaskClient, till: Till) -> None:
    r = client.post(
        "/api/v1/events", data="x", headers=till.headers | {"Content-Type": "text/plain"}
    )
    assert (r.status_code, r.get_json()["code"]) == (415, "unsupported_media_type")
    r = client.post(
        "/api/v1/events", data="{", headers=till.headers | {"Content-Type": "application/json"}
    )
    assert (r.status_code, r.get_json()["code"]) == (400, "bad_request")
    r = client.post("/api/v1/events", json={"events": "nope"}, headers=till.headers)
    assert (r.status_code, r.get_json()["code"]) == (400, "validation_failed")
    r = client.post("/api/v1/events", json={"events": [{}] * 501}, headers=till.headers)
    assert (r.status_code, r.get_json()["code"]) == (400, "validation_failed")


COUPON_CAMPAIGN = {
    "rules": [
        {
            "id": "acucar20",
            "kind": "percent_off",
            "name": "Açúcar -20% com cupom",
            "percent": "20",
            "coupon": "ACUCAR20",
            "applies_to": {"skus": ["SKU1"]},
        }
    ]
}


def _coupon_sale(till: Till) -> dict[str, Any]:
    sale = till.sale(None, ["10.00", "5.00"])
    sale["lines"][0] |= {"discount": "2.00", "net": "8.00"}
    sale |= {"discount_total": "2.00", "total": "13.00", "coupon_codes": ["ACUCAR20"]}
    return sale


def test_the_server_re_prices_with_the_coupons_the_till_recorded(app: Flask, till: Till) -> None:
    """GIVEN a 20 % rule on SKU1 with coupon ACUCAR20 WHEN an anonymous sale priced with the
    coupon (10,00 → 8,00) is pushed THEN it matches; the same sale without the code does not."""
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Cupom", COUPON_CAMPAIGN)
    sale = _coupon_sale(till)
    assert till.push([sale]) == {"applied": [sale["event_id"]], "rejected": [], "flags": []}
    without = _coupon_sale(till)
    del without["coupon_codes"]
    flags = till.push([without])["flags"]
    assert flags[0]["differences"]["total"] == {"till": "13.00", "server": "15.00"}


def test_a_sale_beyond_the_bounds_is_rejected_alone_with_a_code(app: Flask, till: Till) -> None:
    """GIVEN a good sale and sales with a R$ 99.999.999.999,99 unit price, a 1e400 total,
    a 5,000-digit gross, a NaN price and 1,001 lines WHEN pushed together THEN only the good
    sale applies; each of the others is rejected alone with a code, none is a 500."""
    good = till.sale(None, ["3.00"])
    huge = till.sale(None, ["99999999999.99"])
    e400 = till.sale(None, ["3.00"])
    e400["total"] = "1e400"
    digits = till.sale(None, ["3.00"])
    digits["lines"][0]["gross"] = "9" * 5000
    nan = till.sale(None, ["3.00"])
    nan["lines"][0]["unit_price"] = "NaN"
    many = till.sale(None, ["0.01"] * 1001)
    answer = till.push([good, huge, e400, digits, nan, many])
    assert answer["applied"] == [good["event_id"]]
    codes = {r["index"]: r["code"] for r in answer["rejected"]}
    assert codes == {
        1: "out_of_bounds",
        2: "out_of_bounds",
        3: "out_of_bounds",
        4: "invalid_event",
        5: "out_of_bounds",
    }
    reasons = {r["index"]: r["message"] for r in answer["rejected"]}
    assert "line 1: unit_price 99999999999.99 is beyond the limit of 1000000.00" in reasons[1]


def test_the_servers_configured_bounds_apply_to_pushed_sales(
    make_app: Callable[..., Flask],
) -> None:
    """GIVEN a server whose [limits] allow at most R$ 100,00 per unit WHEN a till pushes a
    R$ 150,00 unit and a R$ 90,00 one THEN the first is rejected alone as out_of_bounds."""
    app = make_app(LIMITS={"max_unit_price_brl": "100.00"})
    till = register_till(app, app.test_client())
    over, under = till.sale(None, ["150.00"]), till.sale(None, ["90.00"])
    answer = till.push([over, under])
    assert answer["applied"] == [under["event_id"]]
    assert [(r["index"], r["code"]) for r in answer["rejected"]] == [(0, "out_of_bounds")]
    assert "1000000" not in answer["rejected"][0]["message"]
