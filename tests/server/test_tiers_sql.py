"""The tier review's set-based batch (PostgreSQL) decides and writes exactly as the Python one.

Random members (active or not, no tier, a ladder step, a step the ladder dropped, review dates
before and after the review being due, month ends included), random sales and refunds around
the window's edges, a random ladder or none, a random review moment and a random batch size
for each path: the review is run once with the Python decision and once with the set-based one
from the same rows, and the members' tiers, review dates and change numbers, the change
counter, the run's counts, its audit row and the member feed the tills pull must be equal. On
SQLite both runs take the Python path (the flag is ignored there), which pins that too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from server.db import new_session
from server.models import AuditLog, ChainSetting, Member, Refund, Sale
from server.models.sales import RepriceStatus
from server.models.sync import ChangeCounter
from server.services import tiers, tiers_sql
from server.services.changes import changes_since
from server.services.terminals import TerminalIdentity
from server.services.tiers import review_tiers
from server.services.tiers_sql import next_window
from server.services.uow import SqlUnitOfWork

AT = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)  # a month end: add_months clamps
# Review moments: month ends (the window's start clamps), a leap day, mid-month, midnight.
MOMENTS = (
    AT,
    dt.datetime(2028, 2, 29, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 5, 15, 23, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC),
)
WHO = TerminalIdentity("T", "LOJA-01")
DAY = dt.timedelta(days=1)
NAMES = ("classic", "silver", "gold")

_member = st.fixed_dictionaries(
    {
        "active": st.booleans(),
        "tier": st.sampled_from([None, *NAMES, "dropped"]),
        # Days before AT of the last full review (None: never reviewed). 59 days before
        # 31 March is 31 January: two months later is exactly AT (the review is due, ``>=``);
        # 28..31 straddle "one month before the 31st" (clamped to 28 February).
        "reviewed": st.one_of(
            st.none(), st.integers(0, 70), st.integers(27, 32), st.sampled_from([59, 59, 31])
        ),
        "sales": st.lists(
            st.tuples(st.integers(0, 80), st.integers(1, 30_000), st.none() | st.integers(0, 80)),
            max_size=4,
        ),
    }
)
_ladder = st.one_of(
    st.none(),
    st.tuples(
        st.integers(1, 3),  # window months
        st.integers(1, 2),  # review every months
        st.lists(st.integers(1, 40_000), min_size=0, max_size=2, unique=True),
    ),
)


def _load(app: Flask, members: list[dict[str, Any]], ladder: Any, at: dt.datetime = AT) -> None:
    with new_session(app) as s, s.begin():
        for table in (Refund, Sale, Member, ChainSetting, AuditLog):
            s.execute(delete(table))
        s.execute(update(ChangeCounter).values(value=0))
        for i, m in enumerate(members):
            mid = f"M{i:03d}"
            reviewed = None if m["reviewed"] is None else at - m["reviewed"] * DAY
            s.add(Member(
                id=mid, name=mid, active=m["active"], tier=m["tier"],
                tier_reviewed_at=reviewed, created_at=at, updated_at=at,
            ))  # fmt: skip
            for j, (days, cents, refund_days) in enumerate(m["sales"]):
                sale_id = f"S-{mid}-{j}"
                total = Decimal(cents).scaleb(-2)
                s.add(Sale(
                    sale_id=sale_id, event_id=f"V-{sale_id}", store_id="LOJA-01",
                    terminal_id="T", member_id=mid, occurred_at=at - days * DAY,
                    currency="BRL", subtotal=total, discount_total=Decimal(0), total=total,
                    reprice_status=RepriceStatus.NOT_CHECKED, recorded_at=at,
                ))  # fmt: skip
                if refund_days is not None:
                    s.add(Refund(
                        refund_id=f"R-{sale_id}", event_id=f"VR-{sale_id}", sale_id=sale_id,
                        store_id="LOJA-01", terminal_id="T", occurred_at=at - refund_days * DAY,
                        amount=(total / 2).quantize(Decimal("0.01")), lines=[], reason=None,
                        recorded_at=at,
                    ))  # fmt: skip
        if ladder is not None:
            window, every, thresholds = ladder
            steps = [Decimal(0), *sorted(Decimal(t).scaleb(-2) for t in thresholds)]
            value = {
                "window_months": window,
                "review_every_months": every,
                "tiers": [
                    {"name": n, "threshold": str(t)} for n, t in zip(NAMES, steps, strict=False)
                ],
            }
            s.add(ChainSetting(key="tiers", value=value, updated_at=at))


def _state(app: Flask) -> tuple[list[tuple[Any, ...]], int]:
    with new_session(app) as s:
        rows = s.execute(
            select(Member.id, Member.tier, Member.tier_reviewed_at, Member.change_seq).order_by(
                Member.id
            )
        ).all()
        return [tuple(r) for r in rows], s.get_one(ChangeCounter, 1).value


def _written(app: Flask) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    """The run's audit rows (all but their id and wall-clock time) and the member feed."""
    with new_session(app) as s:
        audit = s.execute(
            select(
                AuditLog.actor_type, AuditLog.actor_id, AuditLog.action, AuditLog.target_type,
                AuditLog.target_id, AuditLog.detail,
            ).order_by(AuditLog.id)
        ).all()  # fmt: skip
        feed = changes_since(s, WHO, 0, 1000).changes
        return [tuple(r) for r in audit], feed


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=st.lists(_member, min_size=1, max_size=12),
    ladder=_ladder,
    at=st.sampled_from(MOMENTS),
    batches=st.tuples(st.integers(1, 5), st.integers(1, 5)),
)
def test_the_set_based_batch_equals_the_python_one(
    app: Flask,
    members: list[dict[str, Any]],
    ladder: Any,
    at: dt.datetime,
    batches: tuple[int, int],
) -> None:
    runs = []
    for set_based, batch in zip((False, True), batches, strict=True):
        _load(app, members, ladder, at)
        run = review_tiers(SqlUnitOfWork.for_app(app), at, batch_size=batch, set_based=set_based)
        runs.append((run.as_dict(), _state(app), _written(app)))
    assert runs[0] == runs[1]


def test_a_second_run_changes_nothing_on_either_path(app: Flask) -> None:
    """Run twice equals run once: the second run at the same moment writes nothing."""
    members: list[dict[str, Any]] = [
        {"active": True, "tier": None, "reviewed": None, "sales": [(3, 20_000, None)]},
        {"active": True, "tier": "gold", "reviewed": 40, "sales": []},
        {"active": False, "tier": "silver", "reviewed": 5, "sales": []},
    ]
    for set_based in (False, True):
        _load(app, members, (1, 1, [10_000, 30_000]))
        uow = SqlUnitOfWork.for_app(app)
        first = review_tiers(uow, AT, batch_size=2, set_based=set_based)
        after_first = _state(app)
        second = review_tiers(uow, AT, batch_size=2, set_based=set_based)
        assert first.changed == 3
        assert second.changed == 0
        assert second.reviewed == 0
        assert _state(app) == after_first


def test_the_window_grows_after_a_quiet_step_and_follows_the_density_of_changes() -> None:
    assert next_window(2, 2, 0) == 32  # nothing written: at least 16 times more
    assert next_window(2000, 2000, 0) == 4_000_000  # a quiet night: the rest in one step
    assert next_window(2000, 2000, 2000) == 2000  # every member moves: step by batch_size
    assert next_window(66_000, 2000, 2000) == 66_000  # a full step: the members it took
    assert next_window(100_000, 2000, 10) == 20_000_000
    assert next_window(5, 2000, 5) == 2000  # never below batch_size


def test_a_quiet_night_is_a_few_steps_and_a_first_run_steps_by_batch_size(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the set-based steps (the real ones, wrapped); SQLite takes none."""
    steps: list[tuple[int, int]] = []

    def counted(*args: Any) -> tiers_sql.StepResult:
        done = tiers_sql.review_step(*args)
        steps.append((done.members, done.writes))
        return done

    monkeypatch.setattr(tiers, "review_step", counted)
    new: dict[str, Any] = {"active": True, "tier": None, "reviewed": None, "sales": []}
    members = [new] * 40
    _load(app, members, (1, 1, [10_000]))
    uow = SqlUnitOfWork.for_app(app)
    first = review_tiers(uow, AT, batch_size=4)
    quiet = len(steps)
    second = review_tiers(uow, AT, batch_size=4)
    assert (first.changed, second.changed) == (40, 0)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert steps == []
        return
    # The first run: ten full steps of four writes, and an empty one that finds the end.
    assert steps[:quiet] == [(4, 4)] * 10 + [(0, 0)]
    # The quiet night: four members, then the other 36 in one step (short of its window).
    assert steps[quiet:] == [(4, 0), (36, 0)]
