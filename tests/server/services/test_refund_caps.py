"""Refund reversals are capped by the entries they reverse, held credits are reduced, not the
balance, and a refund may arrive before its sale.

GIVEN a member's sale pushed by a real till to the real app (SQLite and PostgreSQL), its
points earned by campaign ``R1`` (applied) or beyond it (held for head office)
WHEN refunds of the sale arrive, in any order, before or after head office decides
THEN no reversal takes more than was earned or gives back more than was redeemed, a held
credit's refunds wait with it, and the member's balance never goes where no ledger put it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog, HeldEntry, LedgerEntryRow, RefundReversal, TillIssue
from server.services import held_entries
from server.services.expiry import run_expiry
from server.services.members import balances
from server.services.refund_caps import Capped, cap
from server.services.uow import SqlUnitOfWork

from ..conftest import T0, Till, points_campaign, push_approved

LATER = T0 + dt.timedelta(days=1)


def refund(till: Till, sale: dict[str, Any], amount: str, *entries: dict[str, Any]) -> Any:
    return till.header("refund") | {
        "refund_id": till.refund_id(),
        "sale_id": sale["sale_id"],
        "amount": amount,
        "ledger_entries": list(entries),
    }


def reversal(
    till: Till, sale: dict[str, Any], reverses: str, amount: str, currency: str = "points"
) -> dict[str, Any]:
    member = sale["member_id"]
    return till.entry(
        member,
        amount,
        kind="reverse",
        currency=currency,
        reverses=reverses,
        sale_id=sale["sale_id"],
    )


def points(app: Flask, member_id: str, at: dt.datetime = LATER) -> Decimal:
    with new_session(app) as s:
        return Decimal(balances(s, member_id, at)["points"].available)


def held_status(app: Flask, entry_id: str) -> str:
    with new_session(app) as s:
        return s.get_one(HeldEntry, entry_id).status


def approve(app: Flask, entry_id: str) -> None:
    held_entries.approve(SqlUnitOfWork.for_app(app), entry_id, actor="ana@hq.example")


def reject(app: Flask, entry_id: str) -> None:
    held_entries.reject(SqlUnitOfWork.for_app(app), entry_id, actor="ana@hq.example")


def held_sale(till: Till, member: str = "M1") -> tuple[dict[str, Any], str]:
    """A sale of R$ 10 earning 100 points where ``R1`` gives 10: its earning is held."""
    sale = till.sale(member, ["10.00"], points="100")
    return sale, sale["ledger_entries"][0]["entry_id"]


def test_the_cap_rule() -> None:
    """The cumulative cap, signed (a give-back of a redemption of 500, a reversal of an
    earning of 50):

    ====== ====== ====== ======= ================
    sent   target before  applied code
    ====== ====== ====== ======= ================
    +200   -500   +400    +100   over_cap
    +100   -500   +400    +100   —
    +1     -500   +500    0      over_cap
    -30    +50    0       -30    —
    -30    +50    -40     -10    over_cap
    +30    +50    0       0      wrong_direction
    -30    -500   0       0      wrong_direction
    ====== ====== ====== ======= ================
    """
    d = Decimal
    assert cap(d(200), d(-500), d(400)) == Capped(d(100), "over_cap")
    assert cap(d(100), d(-500), d(400)) == Capped(d(100), None)
    assert cap(d(1), d(-500), d(500)) == Capped(d(0), "over_cap")
    assert cap(d(-30), d(50), d(0)) == Capped(d(-30), None)
    assert cap(d(-30), d(50), d(-40)) == Capped(d(-10), "over_cap")
    assert cap(d(30), d(50), d(0)) == Capped(d(0), "wrong_direction")
    assert cap(d(-30), d(-500), d(0)) == Capped(d(0), "wrong_direction")


def test_partial_give_backs_never_return_more_than_was_redeemed(app: Flask, till: Till) -> None:
    """Redeemed 500; three refunds give back 200 each: 200, 200, then 100 (clipped) and the
    clip is flagged and listed on Sync issues; a fourth gives back nothing."""
    points_campaign(app)
    seed = till.sale("M1", ["1000.00"], points="1000")
    till.push([seed])
    lot = seed["ledger_entries"][0]["entry_id"]
    sale = till.sale("M1", ["5.00"], points="5")
    spend = till.entry("M1", "-500", kind="redeem", reverses=lot, sale_id=sale["sale_id"])
    sale["ledger_entries"].append(spend)
    till.push([sale])
    assert points(app, "M1") == Decimal(505)
    answers = [
        till.push([refund(till, sale, "1.00", reversal(till, sale, spend["entry_id"], "200"))])
        for _ in range(4)
    ]
    assert [a["flags"] for a in answers[:2]] == [[], []]
    (clip,) = answers[2]["flags"]
    assert (clip["code"], clip["reason"], clip["sent"], clip["applied"]) == (
        "reversal_clipped",
        "over_cap",
        "200",
        "100",
    )
    (void,) = answers[3]["flags"]
    assert (void["code"], void["applied"]) == ("reversal_void", "0")
    assert points(app, "M1") == Decimal(1005)  # 1000 + 5, all 500 given back, not 800
    with new_session(app) as s:
        given = s.scalars(
            select(LedgerEntryRow.amount).where(LedgerEntryRow.reverses == spend["entry_id"])
        ).all()
        issues = s.scalars(select(TillIssue).where(TillIssue.kind == "refund_reversal")).all()
    assert sorted(given) == [Decimal(100), Decimal(200), Decimal(200)]
    assert {i.detail["why"] for i in issues} == {"over_cap"}
    assert len(issues) == 2


def test_reversals_never_take_more_than_was_earned(app: Flask, till: Till) -> None:
    """Earned 50; reversals of 30, 30 and a lying 1,000: 30, then 20, then nothing."""
    points_campaign(app)
    sale = till.sale("M2", ["50.00"], points="50")
    earn = sale["ledger_entries"][0]["entry_id"]
    till.push([sale])
    for amount in ("-30", "-30", "-1000"):
        till.push([refund(till, sale, "1.00", reversal(till, sale, earn, amount))])
    assert points(app, "M2") == Decimal(0)


def test_a_reversal_that_does_not_undo_its_entry_applies_nothing(app: Flask, till: Till) -> None:
    """A positive reversal of an earning, a negative one of a redemption, one naming another
    sale's earning: void, listed; the balance is untouched."""
    points_campaign(app)
    other = till.sale("M3", ["40.00"], points="40")
    sale = till.sale("M3", ["10.00"], points="10")
    spend = till.entry(
        "M3",
        "-20",
        kind="redeem",
        reverses=other["ledger_entries"][0]["entry_id"],
        sale_id=sale["sale_id"],
    )
    sale["ledger_entries"].append(spend)
    till.push([other, sale])
    earn = sale["ledger_entries"][0]["entry_id"]
    before = points(app, "M3")
    answer = till.push(
        [
            refund(
                till,
                sale,
                "1.00",
                reversal(till, sale, earn, "500"),
                reversal(till, sale, spend["entry_id"], "-5"),
                reversal(till, sale, other["ledger_entries"][0]["entry_id"], "-40"),
            )
        ]
    )
    assert sorted(f["reason"] for f in answer["flags"]) == [
        "reverses_other_sale",
        "wrong_direction",
        "wrong_direction",
    ]
    assert points(app, "M3") == before == Decimal(30)


def test_hold_then_refund_then_approve_credits_only_the_remainder(app: Flask, till: Till) -> None:
    points_campaign(app)
    sale, earn = held_sale(till)
    till.push([sale])
    answer = till.push([refund(till, sale, "4.00", reversal(till, sale, earn, "-40"))])
    assert [f["code"] for f in answer["flags"]] == ["reversal_waiting"]
    assert points(app, "M1") == 0  # not -40: the credit was never applied
    with new_session(app) as s:
        (row,), _ = held_entries.list_held(s)
    assert row.reversed_while_held == Decimal(-40)
    approve(app, earn)
    assert points(app, "M1") == Decimal(60)
    # a later refund of the rest is capped at what is left of the earning
    till.push([refund(till, sale, "6.00", reversal(till, sale, earn, "-100"))])
    assert points(app, "M1") == 0
    with new_session(app) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "held_entry.approve")).one()
    assert Decimal(audit.detail["reversed_while_held"]) == -40


def test_hold_then_approve_then_refund(app: Flask, till: Till) -> None:
    points_campaign(app)
    sale, earn = held_sale(till)
    till.push([sale])
    approve(app, earn)
    till.push([refund(till, sale, "3.00", reversal(till, sale, earn, "-30"))])
    assert points(app, "M1") == Decimal(70)


def test_hold_then_reject_then_refund_reverses_nothing(app: Flask, till: Till) -> None:
    points_campaign(app)
    sale, earn = held_sale(till)
    till.push([sale])
    reject(app, earn)
    answer = till.push([refund(till, sale, "10.00", reversal(till, sale, earn, "-100"))])
    assert [(f["code"], f["reason"]) for f in answer["flags"]] == [
        ("reversal_void", "reverses_rejected")
    ]
    assert points(app, "M1") == 0


def test_hold_then_refund_then_reject_voids_the_waiting_reversal(app: Flask, till: Till) -> None:
    points_campaign(app)
    sale, earn = held_sale(till)
    first = refund(till, sale, "4.00", reversal(till, sale, earn, "-40"))
    till.push([sale, first])
    reject(app, earn)
    with new_session(app) as s:
        row = s.get_one(RefundReversal, first["ledger_entries"][0]["entry_id"])
    assert (row.status, row.code, row.applied) == ("void", "reverses_rejected", 0)
    assert points(app, "M1") == 0


def test_a_full_refund_of_a_held_credit_cancels_it(app: Flask, till: Till) -> None:
    """Refunds reversing a held credit entirely cancel it (``refunded``, audited): there is
    nothing left for head office to approve."""
    points_campaign(app)
    sale, earn = held_sale(till)
    till.push([sale])
    till.push([refund(till, sale, "5.00", reversal(till, sale, earn, "-50"))])
    assert held_status(app, earn) == "held"
    till.push([refund(till, sale, "5.00", reversal(till, sale, earn, "-50"))])
    assert held_status(app, earn) == "refunded"
    with pytest.raises(held_entries.HeldEntryError):
        approve(app, earn)
    assert points(app, "M1") == 0
    with new_session(app) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "held_entry.refunded")).one()
        rows, total = held_entries.list_held(s, "refunded")
    assert (audit.target_id, audit.actor_type) == (earn, "system")
    assert [r.entry_id for r in rows] == [earn]
    assert total == 1


@pytest.mark.parametrize("earned", ["10", "100"])  # derived (applied) or beyond it (held)
def test_a_refund_before_its_sale_waits_for_it(app: Flask, till: Till, earned: str) -> None:
    """Pushed before its sale (reordered outboxes, or two batches), the refund's reversal
    waits and moves no balance; the sale's push settles it against what the sale earned."""
    points_campaign(app)
    sale = till.sale("M4", ["10.00"], points=earned)
    earn = sale["ledger_entries"][0]["entry_id"]
    early = refund(till, sale, "10.00", reversal(till, sale, earn, f"-{earned}"))
    assert [f["code"] for f in till.push([early])["flags"]] == ["reversal_waiting"]
    assert points(app, "M4") == 0
    till.push([sale])
    assert points(app, "M4") == 0
    if earned == "100":
        assert held_status(app, earn) == "refunded"
    with new_session(app) as s:
        row = s.get_one(RefundReversal, early["ledger_entries"][0]["entry_id"])
    assert row.status == ("applied" if earned == "10" else "void")


def test_a_pending_cashback_refunded_before_it_matures_never_matures(
    app: Flask, till: Till
) -> None:
    """R$ 5,00 cashback pending for 30 days (approved by head office), refunded in full on
    day 2: nothing is available on day 31, after the maturity job ran, nor pending."""
    sale = till.sale("M5", ["50.00"])
    credit = till.entry(
        "M5",
        "5.00",
        currency="cashback",
        sale_id=sale["sale_id"],
        available_at=T0 + dt.timedelta(days=30),
    )
    credit["available_at"] = credit["available_at"].isoformat()
    sale["ledger_entries"] = [credit]
    push_approved(till, [sale])
    till.push(
        [refund(till, sale, "50.00", reversal(till, sale, credit["entry_id"], "-5.00", "cashback"))]
    )
    run_expiry(app, T0 + dt.timedelta(days=31), 100)
    with new_session(app) as s:
        cash = balances(s, "M5", T0 + dt.timedelta(days=31))["cashback"]
    assert (cash.available, cash.pending) == (0, 0)


def test_a_held_pending_cashback_refunded_is_cancelled_not_matured(app: Flask, till: Till) -> None:
    sale = till.sale("M6", ["50.00"])
    credit = till.entry(
        "M6",
        "5.00",
        currency="cashback",
        sale_id=sale["sale_id"],
        available_at=T0 + dt.timedelta(days=30),
    )
    credit["available_at"] = credit["available_at"].isoformat()
    sale["ledger_entries"] = [credit]
    till.push([sale])
    till.push(
        [refund(till, sale, "50.00", reversal(till, sale, credit["entry_id"], "-5.00", "cashback"))]
    )
    assert held_status(app, credit["entry_id"]) == "refunded"
    run_expiry(app, T0 + dt.timedelta(days=31), 100)
    with new_session(app) as s:
        cash = balances(s, "M6", T0 + dt.timedelta(days=31))["cashback"]
    assert (cash.available, cash.pending) == (0, 0)
