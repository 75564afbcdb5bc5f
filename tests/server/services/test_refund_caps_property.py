"""Property: whatever refunds a till sends, in whatever order, a sale's refunds give back at
most what it redeemed and take back at most what it earned, and refunding it all leaves the
member's balance as if the sale never happened.

GIVEN a member with 1,000 points (earned under ``R1``) and R$ 50,00 cashback (approved), and a
random sale pushed by a real till to the real app (SQLite and PostgreSQL): it earns its
``R1`` points (applied) or more (held for head office), and redeems random points and cashback
WHEN the till pushes, in random batches and a random order (refunds before the sale too), the
honest partial refunds that add up to the sale (``loyalty.rewards.refund_sale``, the till's
own computation), lying refunds (reversals of any sign and size, of the sale's entries, of
another sale's, of entries that do not exist, for unknown lines), re-sends, and copies of
honest refunds under their refund ids; and head office approves, rejects or leaves the held
earning at a random moment
THEN after every step the sums of the applied reversals of each entry stay within it, the
balance stays between "the sale's debits applied, nothing given back" and "the sale's
credits applied, nothing taken back", and at the end the balance is the one before the sale.

``tests/server/ledger_world.py`` is not used: it writes ledger rows straight into PostgreSQL
for the expiry job's scale tests, bypassing the ingest this property is about.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyalty.money import Money
from loyalty.rewards import RefundState, SaleRecord, refund_sale
from loyalty.rewards.ids import make_entry_id
from loyalty.rewards.ledger import LedgerEntry
from server.db import new_session
from server.models import HeldEntry, LedgerEntryRow
from server.services import held_entries
from server.services.members import balances
from server.services.uow import SqlUnitOfWork

from ..conftest import T0, Till, points_campaign, push_approved

LATER = T0 + dt.timedelta(days=1)
CENT = Decimal("0.01")
SEED_POINTS, SEED_CASH = Decimal(1000), Decimal("50.00")


def _balance(app: Flask, member: str) -> tuple[Decimal, Decimal]:
    with new_session(app) as s:
        b = balances(s, member, LATER)
    return Decimal(b["points"].available), Decimal(b["cashback"].available)


def _reversed(app: Flask, entry_id: str) -> tuple[Decimal, Decimal]:
    """The sums of the positive and of the negative ``reverse`` rows naming ``entry_id``."""
    with new_session(app) as s:
        rows = s.scalars(
            select(LedgerEntryRow.amount).where(
                LedgerEntryRow.reverses == entry_id, LedgerEntryRow.kind == "reverse"
            )
        ).all()
    return sum((a for a in rows if a > 0), Decimal(0)), sum((a for a in rows if a < 0), Decimal(0))


def _in_ledger(app: Flask, entry_id: str) -> bool:
    with new_session(app) as s:
        found = s.scalar(
            select(func.count())
            .select_from(LedgerEntryRow)
            .where(LedgerEntryRow.entry_id == entry_id)
        )
    return bool(found)


def _seed(app: Flask, till: Till, member: str) -> tuple[str, str]:
    """1,000 points and R$ 50,00 (another sale's, a head-office approval); the lots' ids."""
    if not app.config.get("_r1"):
        points_campaign(app)
        app.config["_r1"] = True
    seed = till.sale(member, ["1000.00"], points="1000")
    cash = till.entry(member, "50.00", kind="adjust", currency="cashback")
    push_approved(till, [seed, till.header("ledger_entry") | {"entry": cash}])
    assert _balance(app, member) == (SEED_POINTS, SEED_CASH)
    return seed["ledger_entries"][0]["entry_id"], cash["entry_id"]


def _refund_event(till: Till, sale: dict[str, Any], amount: str, entries: list[Any]) -> Any:
    return till.header("refund") | {
        "refund_id": till.refund_id(),
        "sale_id": sale["sale_id"],
        "amount": amount,
        "ledger_entries": entries,
    }


@st.composite
def parts(draw: st.DrawFn, total_cents: int) -> list[int]:
    """``total_cents`` split into 1–4 positive parts."""
    n = draw(st.integers(1, min(4, total_cents)))
    cuts = sorted(draw(st.sets(st.integers(1, total_cents - 1), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, total_cents]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_refunds_stay_within_the_sale_in_any_order(
    app: Flask, till: Till, data: st.DataObject
) -> None:
    member = f"M{till.next()}"
    lot, cash_lot = _seed(app, till, member)
    # the sale: earns R1's points (or more: held), redeems points and cashback
    total = data.draw(st.integers(100, 30_000), label="total cents")
    earned = total // 100 + data.draw(st.sampled_from([0, 0, 7]), label="inflated by")
    spent_points = data.draw(st.integers(0, 1000), label="points redeemed")
    spent_cash = Decimal(data.draw(st.integers(0, 5000), label="cashback cents")) * CENT
    sale = till.sale(member, [f"{Decimal(total) * CENT:.2f}"], points=str(earned))
    earn_id = sale["ledger_entries"][0]["entry_id"]
    debits: dict[str, Decimal] = {}
    if spent_points:
        e = till.entry(
            member, str(-spent_points), kind="redeem", reverses=lot, sale_id=sale["sale_id"]
        )
        sale["ledger_entries"].append(e)
        debits[e["entry_id"]] = Decimal(spent_points)
    if spent_cash:
        e = till.entry(
            member,
            f"{-spent_cash:.2f}",
            kind="redeem",
            currency="cashback",
            reverses=cash_lot,
            sale_id=sale["sale_id"],
        )
        sale["ledger_entries"].append(e)
        debits[e["entry_id"]] = spent_cash
    # honest refunds, computed as the till computes them
    record = SaleRecord(
        sale["sale_id"],
        member,
        Money(Decimal(total) * CENT),
        tuple(LedgerEntry.from_dict(e) for e in sale["ledger_entries"]),
    )
    state = RefundState()
    honest: list[dict[str, Any]] = []
    for part in data.draw(parts(total), label="honest parts"):
        result = refund_sale(
            record,
            refund=Money(Decimal(part) * CENT),
            state=state,
            ledger=(),
            at=T0,
            new_id=lambda: make_entry_id(till.store_id, till.terminal_id, till.next()),
            store_id=till.store_id,
            terminal_id=till.terminal_id,
        )
        state = result.state
        entries = [e.to_dict() for e in result.entries]
        honest.append(_refund_event(till, sale, f"{Decimal(part) * CENT:.2f}", entries))
    # lying refunds
    targets = [(earn_id, "points"), (lot, "points"), (cash_lot, "cashback")]
    for entry in sale["ledger_entries"][1:]:
        targets.append((entry["entry_id"], entry["currency"]))
    targets.append((make_entry_id(till.store_id, till.terminal_id, 10**9 + till.next()), "points"))
    lies: list[dict[str, Any]] = []
    for _ in range(data.draw(st.integers(0, 3), label="lying refunds")):
        entries = []
        for _ in range(data.draw(st.integers(1, 3))):
            reverses, currency = data.draw(st.sampled_from(targets))
            size = data.draw(st.integers(1, 200_000 if currency == "cashback" else 2_000))
            sign = data.draw(st.sampled_from([-1, 1]))
            amount = Decimal(sign * size) * (CENT if currency == "cashback" else 1)
            entries.append(
                till.entry(
                    member,
                    f"{amount:f}",
                    kind="reverse",
                    currency=currency,
                    reverses=reverses,
                    sale_id=sale["sale_id"],
                )
            )
        lie = _refund_event(till, sale, f"{data.draw(st.integers(1, 10**6))}.00", entries)
        lie["lines"] = [{"line_no": 99, "sku": "NO-SUCH-LINE", "quantity": "3"}]
        lies.append(lie)
    # re-sends anywhere; copies of honest refund ids (new event, new entries) after them
    events = [sale, *honest, *lies]
    resends = data.draw(st.lists(st.sampled_from(events), max_size=3), label="re-sends")
    order = data.draw(st.permutations([*events, *resends]), label="order")
    for h in data.draw(st.lists(st.sampled_from(honest), max_size=2, unique_by=id)):
        copy = _refund_event(till, sale, h["amount"], [])
        copy["refund_id"] = h["refund_id"]
        copy["ledger_entries"] = [
            dict(e, entry_id=make_entry_id(till.store_id, till.terminal_id, till.next()))
            for e in h["ledger_entries"]
        ]
        at = order.index(h) + 1
        order.insert(data.draw(st.integers(at, len(order)), label="copy at"), copy)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(order)), max_size=4), label="batches"))
    batches = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=False)]
    batches = [b for b in batches if b]
    decision = data.draw(st.sampled_from(["approve", "reject", "leave"]), label="decision")
    decide_after = data.draw(st.integers(0, len(batches)), label="decide after batch")

    def decide() -> None:
        if decision == "leave":
            return
        uow = SqlUnitOfWork.for_app(app)
        try:
            getattr(held_entries, decision)(uow, earn_id, actor="ana@hq.example")
        except held_entries.HeldEntryError:
            pass  # not held (applied, not arrived yet) or cancelled by refunds already

    def check() -> None:
        points, cash = _balance(app, member)
        assert SEED_POINTS - spent_points <= points <= SEED_POINTS + earned
        assert SEED_CASH - spent_cash <= cash <= SEED_CASH
        for debit, size in debits.items():
            back, more = _reversed(app, debit)
            assert back <= size
            assert more == 0
        back, taken = _reversed(app, earn_id)
        assert back == 0
        assert -taken <= (earned if _in_ledger(app, earn_id) else 0)
        for other in (lot, cash_lot):
            assert _reversed(app, other) == (0, 0)

    for i, batch in enumerate(batches):
        if i == decide_after:
            decide()
            check()
        answer = till.push(batch)
        assert {r["code"] for r in answer["rejected"]} <= {"duplicate_refund"}
        check()
    if decide_after == len(batches):
        decide()
        check()
    assert _balance(app, member) == (SEED_POINTS, SEED_CASH)
    with new_session(app) as s:
        held = s.get(HeldEntry, earn_id)
    if held is not None and decision == "leave":
        assert held.status == "refunded"  # its refunds cancelled it: nothing left to approve
