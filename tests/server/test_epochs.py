"""The database epoch on the sync API: sent on every answer, checked on every push and pull.

A till that speaks for an older epoch is answered ``409 epoch_changed`` with nothing applied;
one that holds the current epoch but has seen change numbers beyond the counter (a restore
nobody announced) starts a new epoch, listed with the terminal that showed it. Re-pushed
events the server still has are answered applied without a second effect; those it lost are
applied and counted as recovered.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from server.models import EpochRepush, LedgerEntryRow, ServerEpoch
from server.services.campaign_publish import put_campaign
from server.services.epochs import ensure_epoch, start_new_epoch
from server.services.uow import SqlUnitOfWork

from .conftest import Till

POINTS = {
    "rules": [{"id": "R1", "kind": "points", "name": "Pontos", "per_amount": "1.00", "points": 1}]
}


def epoch_of(app: Flask) -> str:
    return ensure_epoch(SqlUnitOfWork.for_app(app)).epoch


def test_every_sync_answer_carries_the_epoch(app: Flask, till: Till) -> None:
    epoch = epoch_of(app)
    r = till.client.get("/api/v1/changes?cursor=0&limit=10", headers=till.headers)
    assert r.status_code == 200
    assert r.headers["X-Tillclub-Epoch"] == epoch
    push = till.client.post(
        "/api/v1/events", json={"events": [till.sale(None, ["10.00"])]}, headers=till.headers
    )
    assert push.status_code == 200
    assert push.headers["X-Tillclub-Epoch"] == epoch
    snap = till.client.get("/api/v1/snapshot", headers=till.headers)
    assert snap.headers["X-Tillclub-Epoch"] == epoch


def test_a_till_of_an_older_epoch_is_told_and_nothing_is_applied(app: Flask, till: Till) -> None:
    old = epoch_of(app)
    new = start_new_epoch(SqlUnitOfWork.for_app(app), "restored backup of 03:00")
    headers = till.headers | {"X-Tillclub-Epoch": old}
    event = till.sale(None, ["10.00"])
    r = till.client.post("/api/v1/events", json={"events": [event]}, headers=headers)
    assert r.status_code == 409
    body = r.get_json()
    assert body["code"] == "epoch_changed"
    assert body["details"]["epoch"] == new.epoch
    assert body["details"]["database_id"] == new.database_id
    pull = till.client.get("/api/v1/changes?cursor=0&limit=10", headers=headers)
    assert pull.status_code == 409
    assert pull.get_json()["details"]["epoch"] == new.epoch
    headers["X-Tillclub-Epoch"] = new.epoch
    r = till.client.post("/api/v1/events", json={"events": [event]}, headers=headers)
    assert r.status_code == 200
    assert r.get_json()["applied"] == [event["event_id"]]


def test_a_cursor_beyond_the_counter_in_the_same_epoch_starts_a_new_one(
    app: Flask, till: Till
) -> None:
    epoch = epoch_of(app)
    headers = till.headers | {"X-Tillclub-Epoch": epoch, "X-Tillclub-Cursor": "999999"}
    r = till.client.get("/api/v1/changes?cursor=0&limit=10", headers=headers)
    assert r.status_code == 409
    details = r.get_json()["details"]
    assert details["detected_here"] is True
    assert details["epoch"] != epoch
    with SqlUnitOfWork.for_app(app).reading() as s:
        row = s.scalars(select(ServerEpoch).order_by(ServerEpoch.seq.desc())).first()
        assert row is not None
        assert row.source == "detected"
        assert row.detected_by == till.terminal_id
        assert "999999" in row.reason


def test_a_re_push_applies_what_was_lost_once_and_counts_it(app: Flask, till: Till) -> None:
    put_campaign(SqlUnitOfWork.for_app(app), "C1", "Pontos", POINTS)
    kept = till.sale("M1", ["10.00"], points="10")
    till.push([kept])
    lost = till.sale("M1", ["20.00"], points="20")  # never reached this database
    epoch = epoch_of(app)
    headers = till.headers | {"X-Tillclub-Epoch": epoch, "X-Tillclub-Repush": "1"}
    for _ in range(2):  # re-sent twice: each event still has its effect once
        r = till.client.post("/api/v1/events", json={"events": [kept, lost]}, headers=headers)
        assert r.status_code == 200
        assert set(r.get_json()["applied"]) == {kept["event_id"], lost["event_id"]}
        assert r.get_json()["recovered"] == (1 if _ == 0 else 0)
    with SqlUnitOfWork.for_app(app).reading() as s:
        points = s.scalar(
            select(func.sum(LedgerEntryRow.amount)).where(
                LedgerEntryRow.member_id == "M1", LedgerEntryRow.currency == "points"
            )
        )
        repush = s.get(EpochRepush, (epoch, till.terminal_id))
    assert int(points or 0) == 30
    assert repush is not None
    assert (repush.received, repush.recovered, repush.rejected) == (4, 1, 0)
