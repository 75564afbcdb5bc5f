"""A till that lies: one terminal's credential tries to take, credit or sink another's.

GIVEN two tills over real HTTP on loopback, the attacker and the victim, the victim of another
store or of the same store
WHEN the attacker pushes events naming the victim's ids (event, sale, refund, ledger entry,
voucher use, member), credits members with value no sale derives, or poisons a batch
THEN every such event is refused alone with a code (or its credit held for head office),
nothing of the victim changes, every attempt is listed on Sync issues under the attacker,
and the victim's own events, pushed later with those very ids, all apply.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyalty.rewards.ids import (
    make_member_id,
    make_refund_id,
    make_sale_id,
)
from server.db import new_session
from server.models import AppliedEvent, HeldEntry, LedgerEntryRow, Refund, Sale, VoucherUseRow
from server.services import held_entries, sync_issues
from server.services.campaign_publish import put_campaign
from server.services.members import balances
from server.services.uow import SqlUnitOfWork
from tests.server.conftest import T0, Till, register_till
from tests.support.live import serving

POINTS = {
    "rules": [
        {"id": "R1", "kind": "points", "name": "1 ponto/real", "per_amount": "1.00", "points": 1}
    ]
}
WIDE = sync_issues.Scope(
    dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC), None
)


class _Answer:
    def __init__(self, r: requests.Response) -> None:
        self.status_code = r.status_code
        self._r = r

    def get_json(self) -> Any:
        return self._r.json()


class HttpClient:
    """The test client's ``post``/``get`` over real HTTP, so a :class:`Till` pushes on the wire."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def post(self, path: str, **kw: Any) -> _Answer:
        return _Answer(self.http.post(self.base + path, timeout=30, **kw))

    def get(self, path: str, **kw: Any) -> _Answer:
        return _Answer(self.http.get(self.base + path, timeout=30, **kw))


@pytest.fixture
def live(app: Flask) -> Iterator[HttpClient]:
    with serving(app) as base:
        yield HttpClient(base)


def _tills(app: Flask, live: HttpClient, victim_store: str) -> tuple[Till, Till]:
    attacker = register_till(app, app.test_client(), "LOJA-01", "PDV A")
    victim = register_till(app, app.test_client(), victim_store, "PDV B")
    for t in (attacker, victim):
        t.client = live  # type: ignore[assignment,unused-ignore]
    return attacker, victim


def _victims_state(app: Flask, victim: Till) -> tuple[int, int, int, int, int]:
    with new_session(app) as s:
        t = victim.terminal_id

        def count(model: Any, *where: Any) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return (
            count(AppliedEvent, AppliedEvent.terminal_id == t),
            count(Sale, Sale.terminal_id == t),
            count(Refund, Refund.terminal_id == t),
            count(LedgerEntryRow, LedgerEntryRow.terminal_id == t),
            count(VoucherUseRow, VoucherUseRow.terminal_id == t),
        )


def _available(app: Flask, member_id: str) -> dict[str, Decimal]:
    with new_session(app) as s:
        found = balances(s, member_id, T0 + dt.timedelta(days=1))
        return {c: b.available for c, b in found.items()}


def _listed(app: Flask) -> dict[tuple[str, str], str]:
    with new_session(app) as s:
        page = sync_issues.rejected(s, WIDE, 1, 500)
        return {(r.terminal_id, r.event_id): r.code for r in page.rows}


@pytest.mark.parametrize("victim_store", ["LOJA-02", "LOJA-01"], ids=["other-store", "same-store"])
def test_a_till_cannot_take_or_touch_another_tills_ids(
    app: Flask, live: HttpClient, victim_store: str
) -> None:
    attacker, victim = _tills(app, live, victim_store)
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS)
    # the victim's own sale, already applied: what the attacker's refund and use aim at
    first = victim.sale("M1", ["10.00"], points="10")
    assert victim.push([first])["applied"] == [first["event_id"]]
    before = _victims_state(app, victim)
    vs, vt = victim.store_id, victim.terminal_id
    # the victim's next sale, made now, pushed last: its ids are what the attacker takes
    victim.seq = 899
    genuine = victim.sale("M1", ["5.00"], points="5")
    n = victim.seq + 1

    def forged(kind: str, **fields: Any) -> dict[str, Any]:
        event: dict[str, Any] = attacker.header(kind) | fields
        return event

    own_sale = make_sale_id(attacker.store_id, attacker.terminal_id, 999)
    attempts: list[dict[str, Any]] = [
        # 1: the victim's next event id, on a sale of the attacker's own
        attacker.sale("M1", ["1.00"]) | {"event_id": genuine["event_id"]},
        # 2: the victim's next sale id
        attacker.sale("M1", ["1.00"]) | {"sale_id": genuine["sale_id"]},
        # a refund with the victim's refund id, and one of the victim's sale
        forged(
            "refund",
            refund_id=make_refund_id(vs, vt, n),
            sale_id=own_sale,
            amount="1.00",
        ),
        forged(
            "refund",
            refund_id=make_refund_id(attacker.store_id, attacker.terminal_id, 5),
            sale_id=first["sale_id"],
            amount="10.00",
            ledger_entries=[
                attacker.entry(
                    "M1",
                    "-10",
                    kind="reverse",
                    reverses=first["ledger_entries"][0]["entry_id"],
                    sale_id=first["sale_id"],
                )
            ],
        ),
        # a voucher use on the victim's sale
        forged("voucher_use", voucher_code="ABC123", sale_id=first["sale_id"]),
        # a ledger entry with the victim's entry id
        forged(
            "ledger_entry",
            entry=attacker.entry("M1", "-1", kind="redeem")
            | {"entry_id": genuine["ledger_entries"][0]["entry_id"]},
        ),
        # the victim's next member id
        forged(
            "enrolment",
            member_id=make_member_id(vs, vt, n + 1),
            name="Ana",
            consent_terms=True,
        ),
        # ids that name no terminal at all
        attacker.sale("M1", ["1.00"]) | {"event_id": "legacy-1"},
        attacker.sale("M1", ["1.00"]) | {"sale_id": "S-1"},
    ]
    good = attacker.sale(None, ["2.00"])
    answer = attacker.push([*attempts, good])
    assert answer["applied"] == [good["event_id"]]
    codes = [r["code"] for r in answer["rejected"]]
    assert codes == ["wrong_terminal"] * 7 + ["invalid_id"] * 2, answer["rejected"]
    assert _victims_state(app, victim) == before
    assert _available(app, "M1")["points"] == Decimal(10)
    listed = _listed(app)
    for attempt in attempts:
        key = (attacker.terminal_id, attempt["event_id"])
        assert listed[key] in ("wrong_terminal", "invalid_id")
    # the victim's genuine events with exactly those ids now arrive: all of them apply
    assert victim.push([genuine]) == {"applied": [genuine["event_id"]], "rejected": [], "flags": []}
    with new_session(app) as s:
        assert s.get_one(Sale, genuine["sale_id"]).terminal_id == victim.terminal_id
        assert s.get_one(AppliedEvent, genuine["event_id"]).terminal_id == victim.terminal_id
    assert _available(app, "M1")["points"] == Decimal(15)
    # the attacker's attempt at that event id stays listed as the attacker's, not "applied"
    with new_session(app) as s:
        rows = {(r.terminal_id, r.event_id): r for r in sync_issues.rejected(s, WIDE, 1, 500).rows}
    attempt = rows[(attacker.terminal_id, genuine["event_id"])]
    assert not attempt.applied_later
    assert (victim.terminal_id, genuine["event_id"]) not in rows


@pytest.mark.parametrize("victim_store", ["LOJA-02", "LOJA-01"], ids=["other-store", "same-store"])
def test_a_till_cannot_credit_arbitrary_value(
    app: Flask, live: HttpClient, victim_store: str
) -> None:
    """GIVEN no till adjustments allowed (the default) WHEN a till sends 1,000,000 points and
    R$ 10.000 cashback as adjustments, and 500 points on a R$ 1,00 sale THEN the events apply
    but the credits are held: no balance moves until head office approves, once."""
    attacker, victim = _tills(app, live, victim_store)
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS)
    mine = victim.sale("M7", ["20.00"], points="20")
    victim.push([mine])
    before = _victims_state(app, victim), _available(app, "M7")
    million = attacker.header("ledger_entry") | {
        "entry": attacker.entry("M7", "1000000", kind="adjust", reason="bonus")
    }
    cash = attacker.header("ledger_entry") | {
        "entry": attacker.entry("M7", "10000.00", kind="adjust", currency="cashback")
    }
    earn = attacker.header("ledger_entry") | {"entry": attacker.entry("M7", "50", kind="earn")}
    inflated = attacker.sale("M7", ["1.00"], points="500")
    answer = attacker.push([million, cash, earn, inflated])
    assert answer["applied"] == [e["event_id"] for e in (million, cash, earn, inflated)]
    held = [f for f in answer["flags"] if f["code"] == "entry_held"]
    assert [(f["event_id"], f["reason"]) for f in held] == [
        (million["event_id"], "adjust_over_limit"),
        (cash["event_id"], "adjust_over_limit"),
        (earn["event_id"], "kind_not_allowed"),
        (inflated["event_id"], "earn_not_derived"),
    ]
    assert (_victims_state(app, victim), _available(app, "M7")) == before
    assert attacker.push([million])["flags"] == []  # a re-send is applied, not held again
    with new_session(app) as s:
        rows, total = held_entries.list_held(s)
        assert total == 4
    entry_id = million["entry"]["entry_id"]
    held_entries.approve(SqlUnitOfWork.for_app(app), entry_id, actor="ana@hq.example")
    with pytest.raises(held_entries.HeldEntryError):
        held_entries.approve(SqlUnitOfWork.for_app(app), entry_id, actor="bob@hq.example")
    held_entries.reject(
        SqlUnitOfWork.for_app(app), cash["entry"]["entry_id"], actor="ana@hq.example"
    )
    after = _available(app, "M7")
    assert after["points"] == before[1]["points"] + 1_000_000
    assert after["cashback"] == before[1]["cashback"]
    with new_session(app) as s:
        assert s.get_one(HeldEntry, entry_id).status == "approved"
        assert s.scalar(select(func.count()).where(LedgerEntryRow.entry_id == entry_id)) == 1
    # a different event carrying a held entry's id cannot slip it into the ledger
    sneak = attacker.header("ledger_entry") | {"entry": dict(cash["entry"])}
    assert attacker.push([sneak])["rejected"][0]["code"] == "ledger_conflict"


def test_till_adjustments_apply_within_the_configured_limits(
    make_app: Callable[..., Flask],
) -> None:
    """GIVEN [till_adjustments] of 100 points per entry and 150 per day WHEN a till adjusts by
    100, then 60, then 200 THEN the first applies; the second (160 in the day) and the third
    (over the entry limit) are held."""
    app = make_app(TILL_ADJUSTMENTS={"max_points_per_entry": 100, "max_points_per_day": 150})
    from tests.server.conftest import _empty

    _empty(app)
    till = register_till(app, app.test_client())
    events = [
        till.header("ledger_entry") | {"entry": till.entry("M9", amount, kind="adjust")}
        for amount in ("100", "60", "-200")
    ]
    answer = till.push(events)
    assert len(answer["applied"]) == 3
    assert [f["event_id"] for f in answer["flags"]] == [
        events[1]["event_id"],
        events[2]["event_id"],
    ]
    assert _available(app, "M9")["points"] == Decimal(100)


def _raw_push(till: Till, body: str) -> Any:
    return till.client.post(
        "/api/v1/events",
        data=body.encode(),
        headers=till.headers | {"Content-Type": "application/json"},
    )


def test_one_poisoned_event_among_good_ones_is_refused_alone(app: Flask, live: HttpClient) -> None:
    """Extreme numbers as JSON numbers (1e999999, 5,000 digits, NaN, a float), strings longer
    than their columns: each event is refused with a code and the good ones apply."""
    till, _victim = _tills(app, live, "LOJA-02")
    goods = [till.sale(None, ["3.00"]) for _ in range(3)]
    long_sku = till.sale(None, ["1.00"])
    long_sku["lines"][0]["sku"] = "7" * 70
    refund = till.header("refund") | {
        "refund_id": make_refund_id(till.store_id, till.terminal_id, 1),
        "sale_id": goods[0]["sale_id"],
        "amount": "1.00",
        "reason": "r" * 250,
    }
    texts = [json.dumps(e) for e in (goods[0], long_sku, refund)]
    poisoned = []
    for literal in ("1e999999", "9" * 5000, "NaN", "Infinity", "3.0"):
        bad = till.sale(None, ["3.00"])
        bad["total"] = "@@"
        poisoned.append(json.dumps(bad).replace('"@@"', literal))
    body = '{"events": [' + ",".join([*texts, *poisoned, *map(json.dumps, goods[1:])]) + "]}"
    r = _raw_push(till, body)
    assert r.status_code == 200, r.get_json()
    answer = r.get_json()
    assert answer["applied"] == [g["event_id"] for g in goods]
    codes = {x["index"]: x["code"] for x in answer["rejected"]}
    assert codes == {
        1: "too_long",
        2: "too_long",
        3: "invalid_event",
        4: "invalid_event",
        5: "invalid_event",
        6: "invalid_event",
        7: "invalid_event",
    }
    assert "70 characters; at most 64" in answer["rejected"][0]["message"]


def test_a_body_that_cannot_be_read_is_a_400_with_a_code(
    app: Flask, live: HttpClient, make_app: Callable[..., Flask]
) -> None:
    till, _victim = _tills(app, live, "LOJA-02")
    deep = '{"events": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    for body, code in (
        (deep, "json_too_deep"),
        ('{"events": [', "bad_request"),
        ('{"events": {"a": 1}}', "validation_failed"),
        ("[1, 2]", "validation_failed"),
        (b"\xff\xfe".decode("latin-1"), "bad_request"),
    ):
        r = _raw_push(till, body)
        assert (r.status_code, r.get_json()["code"]) == (400, code), body[:40]
    small = make_app(MAX_CONTENT_LENGTH=10_000)
    with serving(small) as base:
        r = requests.post(
            base + "/api/v1/events",
            data=b'{"events": ["' + b"x" * 20_000 + b'"]}',
            headers=till.headers | {"Content-Type": "application/json"},
            timeout=30,
        )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**50), max_value=10**50)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=400)
    | st.sampled_from(["1e999999", "NaN", "-0", "9" * 5000, "1.005", "", " "]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = [
    "event_id",
    "sale_id",
    "member_id",
    "total",
    "subtotal",
    "lines",
    "ledger_entries",
    "member_context",
    "occurred_at",
    "coupon_codes",
    "raffle_tickets",
    "type",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mangled_event_is_answered_alone_never_a_500(
    app: Flask, till: Till, data: st.DataObject
) -> None:
    """GIVEN a good sale and a copy with random fields replaced by random JSON (huge numbers,
    floats, NaN, long strings, nesting) WHEN pushed together THEN the answer is a 200 that
    applies the good sale and applies or rejects the other with a code."""
    good = till.sale(None, ["3.00"])
    bad = till.sale("M1", ["4.00"], points="4")
    for name in data.draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3)):
        bad[name] = data.draw(_JSON)
    if data.draw(st.booleans()) and isinstance(bad.get("lines"), list) and bad["lines"]:
        line = bad["lines"][0]
        if isinstance(line, dict):
            line[data.draw(st.sampled_from(["sku", "quantity", "unit_price", "gross"]))] = (
                data.draw(_JSON)
            )
    r = till.client.post(
        "/api/v1/events",
        data=json.dumps({"events": [bad, good]}, allow_nan=True),
        headers=till.headers | {"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    answer = r.get_json()
    assert good["event_id"] in answer["applied"]
    bad_rejected = [x for x in answer["rejected"] if x["index"] == 0]
    assert len(bad_rejected) + (bad.get("event_id") in answer["applied"]) == 1
    for x in bad_rejected:
        assert isinstance(x["code"], str)
        assert x["code"]


def test_the_agents_outbox_moves_past_a_refused_event(
    app: Flask, live: HttpClient, tmp_path: Any
) -> None:
    """GIVEN a real agent journal whose oldest event is poisoned (a 5,000-digit total, in the
    agent's own wire form) and three good sales behind it WHEN the agent's sync worker pushes
    to the real server THEN the good sales are applied and trimmed, the poisoned one is
    parked as rejected with its code, and nothing is left to re-send."""
    from agent.journal import OutboxRow
    from agent.journal.db import connect_journal
    from agent.journal.outbox import Outbox, insert
    from agent.journal.outbox import rows as outbox_rows
    from agent.sync.client import SyncClient
    from agent.sync.worker import SyncWorker

    till, _victim = _tills(app, live, "LOJA-02")
    poisoned = json.dumps(till.sale(None, ["3.00"]) | {"total": "@@"}).replace('"@@"', "9" * 5000)
    goods = [till.sale(None, ["3.00"]) for _ in range(3)]
    conn = connect_journal(tmp_path / "journal.sqlite3")
    bad_id = json.loads(poisoned.replace("9" * 5000, "0"))["event_id"]
    rows = [OutboxRow(bad_id, "sale", poisoned)]
    rows += [OutboxRow(g["event_id"], "sale", json.dumps(g)) for g in goods]
    with conn:
        insert(conn, outbox_rows(rows, 0.0))
    client = SyncClient(live.base, till.credential, timeout=30)
    worker = SyncWorker(client, lambda: conn, lambda: conn, interval=1, max_backoff=1)
    outbox = Outbox(conn)
    try:
        assert worker.push_all(outbox) == 3
        assert worker.push_all(outbox) == 0  # nothing left to send: not stuck on the bad one
    finally:
        client.close()
    assert (outbox.depth(), outbox.rejected()) == (0, 1)
    (error,) = conn.execute("SELECT error FROM outbox WHERE state = 2").fetchone()
    assert error.startswith("invalid_event:")
    conn.close()
