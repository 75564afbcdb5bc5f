"""Concurrent pushes of the same events (two workers, two tills) still apply each exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.db import new_session
from server.models import AppliedEvent, LedgerEntryRow, Member, Sale

from .conftest import Till, points_campaign, register_till


def _race(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_the_same_batch_pushed_four_times_at_once_applies_once(
    make_app: Callable[..., Flask],
) -> None:
    """GIVEN four pushes of one batch whose transactions overlap (each pauses before commit)
    WHEN they race THEN the later ones wait on the first one's ids and apply nothing twice."""
    app = make_app(FAILPOINT_PAUSE_BEFORE_COMMIT=0.4)
    points_campaign(app)
    till = register_till(app, app.test_client())
    events = [till.sale(f"M{i % 3}", ["4.00"], points="4") for i in range(60)]
    clients = [
        Till(app.test_client(), till.store_id, till.terminal_id, till.credential) for _ in range(4)
    ]
    answers = _race(*[lambda c=c: c.push(events) for c in clients])
    for answer in answers:
        assert answer["applied"] == [e["event_id"] for e in events]
        assert answer["rejected"] == []
    with new_session(app) as s:
        # this till's events only: make_app's database may hold other tests' rows
        mine = AppliedEvent.terminal_id == till.terminal_id
        assert s.scalar(select(func.count()).select_from(AppliedEvent).where(mine)) == 60
        assert s.scalar(select(func.count()).where(Sale.terminal_id == till.terminal_id)) == 60
        own = LedgerEntryRow.terminal_id == till.terminal_id
        assert s.scalar(select(func.sum(LedgerEntryRow.amount)).where(own)) == 240
        seqs = s.scalars(select(LedgerEntryRow.change_seq).where(own)).all()
        assert len(set(seqs)) == 60


def test_two_tills_enrolling_one_cpf_at_once_make_one_member(
    app: Flask, client: FlaskClient
) -> None:
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")

    def enrol(t: Till, member_id: str) -> dict[str, Any]:
        event = t.header("enrolment") | {
            "member_id": member_id,
            "name": "Ana",
            "cpf": "39053344705",
            "consent_terms": True,
        }
        return t.push([event])  # type: ignore[no-any-return]

    ma, mb = a.member_id(), b.member_id()
    answers = _race(
        lambda: enrol(Till(app.test_client(), a.store_id, a.terminal_id, a.credential), ma),
        lambda: enrol(Till(app.test_client(), b.store_id, b.terminal_id, b.credential), mb),
    )
    applied = [len(x["applied"]) for x in answers]
    assert sorted(applied) == [0, 1]
    loser = answers[applied.index(0)]
    assert loser["rejected"][0]["code"] in ("cpf_already_enrolled", "conflict")
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 1
