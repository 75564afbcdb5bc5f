"""Properties of the sale flow under any sequence of POS calls (hypothesis, real SQLite files).

Whatever the POS sends, in whatever order, with retries:
- a recorded sale's answer never changes, and it has exactly one ``sale`` event;
- the outbox holds one event per sale, voucher use and refund, ids unique;
- redemptions stay within the shared BRL caps: R$ 50,00 per sale, R$ 80,00 per member per day;
- the balance shown is the fold of the server's entries and this till's entries.
"""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.journal import answers as stored
from agent.journal.store import unpack
from loyalty.errors import LoyaltyError
from loyalty.identification import card_number
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    card_change,
    earn_change,
    line,
    make_agent,
    member_change,
)

POS = st.sampled_from(["p0", "p1", "p2"])
# A whole sale in one go (most of what a till does), among single calls in any order.
whole_sale = st.tuples(
    st.just("sale"),
    POS,
    st.tuples(
        st.sampled_from([None, 1, 2]),
        st.sampled_from([2000, 9000, 12_000]) | st.integers(1, 12_000),
        st.sampled_from([0, 1500, 4000, 6000]) | st.integers(0, 6000),  # points
        st.sampled_from([0, 2000, 4500, 6000]) | st.integers(0, 6000),  # cashback cents
        st.sampled_from(["finalise", "cancel", "leave"]),
    ),
)
op = st.one_of(
    whole_sale,
    whole_sale,
    st.tuples(st.just("identify"), POS, st.sampled_from([None, 1, 2])),
    st.tuples(st.just("price"), POS, st.integers(1, 12_000)),
    st.tuples(st.just("points"), POS, st.integers(0, 9000)),
    st.tuples(st.just("cashback"), POS, st.integers(0, 6000)),
    st.tuples(st.just("finalise"), POS, st.none()),
    st.tuples(st.just("cancel"), POS, st.none()),
    st.tuples(st.just("refund"), POS, st.integers(1, 12_000)),
)


def world(tmp: Path) -> Any:
    changes = [campaign_change(1)]
    for i in (1, 2):
        changes += [
            member_change(10 * i, f"M{i}"),
            card_change(10 * i + 1, card_number(i), f"M{i}"),
            earn_change(10 * i + 2, f"E:HQ:S1:{i:012d}", f"M{i}", "4000"),
            earn_change(10 * i + 3, f"E:HQ:S1:{i + 10:012d}", f"M{i}", "60.00", "cashback"),
        ]
    return make_agent(tmp, changes, Clock())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=25))
@example([("sale", "p0", (1, 12_000, 4000, 4500, "finalise"))])  # both tenders, one sale
@example(
    [
        ("sale", "p0", (1, 12_000, 4000, 0, "finalise")),
        ("sale", "p1", (1, 9000, 0, 5000, "finalise")),
    ]
)  # the day cap across sales
def test_any_sequence_of_pos_calls_keeps_the_journal_consistent(ops: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        agent = world(Path(tmp))
        answers: dict[str, dict[str, Any]] = {}
        refunds = 0
        try:
            for n, (kind, pos, arg) in enumerate(ops):
                try:
                    if kind == "sale":
                        _whole_sale(agent, pos, *arg, answers)
                    elif kind == "identify":
                        agent.sales.identify(pos, None if arg is None else card_number(arg))
                    elif kind == "price":
                        agent.sales.price(pos, [line("A", price=f"{Decimal(arg) / 100:.2f}")])
                    elif kind == "points":
                        agent.sales.apply_points(pos, arg)
                    elif kind == "cashback":
                        agent.sales.apply_cashback(pos, f"{Decimal(arg) / 100:.2f}")
                    elif kind == "finalise":
                        answer = agent.sales.finalise(pos)
                        assert answers.setdefault(pos, answer) == answer
                    elif kind == "cancel":
                        agent.sales.cancel(pos)
                    else:
                        agent.sales.refund(f"r{n}", pos, f"{Decimal(arg) / 100:.2f}")
                        refunds += 1
                except LoyaltyError:
                    pass  # refused with a message: must have changed nothing (checked below)
            for pos, answer in answers.items():
                assert agent.sales.finalise(pos) == answer
            _check(agent, len(answers), refunds)
        finally:
            agent.close()


def _whole_sale(
    agent: Any,
    pos: str,
    member: int | None,
    cents: int,
    points: int,
    cashback: int,
    end: str,
    answers: dict[str, dict[str, Any]],
) -> None:
    steps = [
        lambda: agent.sales.identify(pos, None if member is None else card_number(member)),
        lambda: agent.sales.price(pos, [line("A", price=f"{Decimal(cents) / 100:.2f}")]),
        lambda: agent.sales.apply_points(pos, points),
        lambda: agent.sales.apply_cashback(pos, f"{Decimal(cashback) / 100:.2f}"),
    ]
    for step in steps:
        try:
            step()
        except LoyaltyError:
            pass
    if end == "finalise":
        answer = agent.sales.finalise(pos)
        assert answers.setdefault(pos, answer) == answer
    elif end == "cancel":
        agent.sales.cancel(pos)


def _check(agent: Any, sales: int, refunds: int) -> None:
    conn = agent.journal_conn
    events = [json.loads(unpack(p)) for (p,) in conn.execute("SELECT payload FROM outbox")]
    assert len({e["event_id"] for e in events}) == len(events)
    kinds = [e["type"] for e in events]
    assert kinds.count("sale") == sales == conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    assert kinds.count("refund") == refunds
    entries = [stored.decode(d) for (d,) in conn.execute("SELECT data FROM ledger")]
    in_events = [x for e in events for x in e["ledger_entries"]]
    assert sorted(x["entry_id"] for x in entries) == sorted(x["entry_id"] for x in in_events)
    spent: dict[str, Decimal] = {}
    for e in events:
        if e["type"] != "sale":
            continue
        value = Decimal(0)
        for x in e["ledger_entries"]:
            if x["kind"] == "redeem":
                amount = -Decimal(x["amount"])
                value += amount / 100 if x["currency"] == "points" else amount
        assert value <= Decimal("50.00")
        if e["member_id"]:
            spent[e["member_id"]] = spent.get(e["member_id"], Decimal(0)) + value
    assert all(v <= Decimal("80.00") for v in spent.values())
    for m in ("M1", "M2"):
        server = 4000
        local = sum(
            int(x["amount"]) for x in entries if x["member_id"] == m and x["currency"] == "points"
        )
        assert agent.sales._balance_view(m)["points"] == server + local
