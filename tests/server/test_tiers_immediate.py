"""Tiers as they now run: a sale that lifts a member upgrades them when it is ingested, new
members start on the ladder's first step, the nightly job moves members down; each job run
twice is the same as once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import clock
from server.db import new_session
from server.jobs.contract import JobContext
from server.models import Member
from server.services.members import add_member
from server.services.tiers import set_ladder, tier_review_job
from server.services.uow import SqlUnitOfWork

from .conftest import T0, Till, register_till

LADDER = {
    "window_months": 1,
    "review_every_months": 1,
    "tiers": [{"name": "classic", "threshold": "0"}, {"name": "gold", "threshold": "100.00"}],
}
DAY = dt.timedelta(days=1)


def _tier(app: Flask, member: str) -> tuple[str | None, int]:
    with new_session(app) as s:
        row = s.execute(select(Member.tier, Member.change_seq).where(Member.id == member)).one()
        return row.tier, row.change_seq


def _add(app: Flask, member: str) -> None:
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], member, member)


class MovedClock:
    """The server's clock moved to a test date through the offset file (server/clock.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, at: dt.datetime) -> None:
        offset = (at - dt.datetime.now(dt.UTC)).total_seconds()
        self.path.write_text(f"{offset:.6f}")
        clock._cache = (0.0, "", 0.0)  # read the file now, not within the second


@pytest.fixture
def moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    monkeypatch.setenv(clock.OFFSET_ENV, str(tmp_path / "offset"))
    moved = MovedClock(tmp_path / "offset")
    moved.set(T0 + dt.timedelta(minutes=1))
    return moved


@pytest.fixture
def till(app: Flask, client: FlaskClient, moved: MovedClock) -> Till:
    set_ladder(SqlUnitOfWork.for_app(app), LADDER, actor="t", now=T0)
    return register_till(app, client)


def test_a_new_member_starts_on_the_first_step(app: Flask, till: Till) -> None:
    _add(app, "m1")
    assert _tier(app, "m1")[0] == "classic"


def test_a_sale_that_lifts_a_member_upgrades_them_on_ingest(app: Flask, till: Till) -> None:
    _add(app, "m1")
    _, seq = _tier(app, "m1")
    till.push([till.sale("m1", ["60.00"], at=T0)])
    assert _tier(app, "m1")[0] == "classic"  # R$ 60 does not reach gold
    till.push([till.sale("m1", ["50.00"], at=T0)])
    tier, new_seq = _tier(app, "m1")
    assert tier == "gold"  # no review job has run
    assert new_seq > seq  # a new change number: the member feed carries it to the tills
    changes, _ = till.pull_all()
    members = [c["data"] for c in changes if c["type"] == "member" and c["id"] == "m1"]
    assert members[-1]["tier"] == "gold"


def test_ingest_never_demotes_and_the_nightly_job_does_once(
    app: Flask, till: Till, moved: MovedClock
) -> None:
    _add(app, "m1")
    till.push([till.sale("m1", ["150.00"], at=T0)])
    assert _tier(app, "m1")[0] == "gold"
    # Forty days later the sale left the one-month window: a small sale keeps gold...
    moved.set(T0 + 40 * DAY + dt.timedelta(minutes=1))
    till.push([till.sale("m1", ["5.00"], at=T0 + 40 * DAY)])
    assert _tier(app, "m1")[0] == "gold"
    # ...until the nightly review, which moves the member down, once.
    report = tier_review_job(JobContext(app, T0 + 40 * DAY, 100, "t"))
    assert report.detail["demoted"] == 1
    assert _tier(app, "m1")[0] == "classic"
    again = tier_review_job(JobContext(app, T0 + 40 * DAY, 100, "t"))
    assert again.changed == 0
    assert _tier(app, "m1")[0] == "classic"
