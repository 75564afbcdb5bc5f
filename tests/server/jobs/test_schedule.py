"""Cron-like schedules: fields, previous and next fire times in the chain's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from server.jobs.schedule import Schedule, ScheduleError, period_of, time_zone

SP = time_zone("America/Sao_Paulo")


def test_nightly_fires_at_local_time_not_utc() -> None:
    s = Schedule.parse("30 2 * * *")
    at = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)  # 09:00 in São Paulo
    prev = s.previous(at, SP)
    assert prev == dt.datetime(2026, 12, 4, 2, 30, tzinfo=SP)
    assert period_of(prev) == "2026-12-04T02:30"
    assert s.next(at, SP) == dt.datetime(2026, 12, 5, 2, 30, tzinfo=SP)


def test_a_fire_time_is_its_own_previous_and_not_its_own_next() -> None:
    s = Schedule.parse("0 3 * * *")
    fire = dt.datetime(2026, 12, 4, 3, 0, tzinfo=SP)
    assert s.previous(fire, SP) == fire
    assert s.next(fire, SP) == fire + dt.timedelta(days=1)


def test_steps_ranges_lists_and_weekdays() -> None:
    s = Schedule.parse("*/15 8-10,20 * * 1-5")  # weekdays, quarter hours
    fri = dt.datetime(2026, 12, 4, 10, 50, tzinfo=SP)  # a Friday
    assert s.previous(fri, SP) == dt.datetime(2026, 12, 4, 10, 45, tzinfo=SP)
    sat = dt.datetime(2026, 12, 5, 9, 0, tzinfo=SP)
    assert s.previous(sat, SP) == dt.datetime(2026, 12, 4, 20, 45, tzinfo=SP)
    assert s.next(sat, SP) == dt.datetime(2026, 12, 7, 8, 0, tzinfo=SP)  # Monday


def test_sunday_is_0_or_7() -> None:
    assert Schedule.parse("0 0 * * 0").weekdays == Schedule.parse("0 0 * * 7").weekdays == {0}


def test_day_of_month_or_weekday_as_cron_does() -> None:
    s = Schedule.parse("0 0 1 * 1")  # the 1st, or any Monday
    assert s.next(dt.datetime(2026, 12, 2, tzinfo=SP), SP) == dt.datetime(2026, 12, 7, tzinfo=SP)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 3 * *", "expected 5 fields"),
        ("61 3 * * *", "minute field '61'"),
        ("0 24 * * *", "hour field '24'"),
        ("0 3 0 * *", "day field '0'"),
        ("0 3 * 13 *", "month field '13'"),
        ("0 3 * * 8", "weekday field '8'"),
        ("x 3 * * *", "minute field 'x': not a number"),
        ("*/0 3 * * *", "step ≥ 1"),
        ("5-1 3 * * *", "minute field '5-1'"),
    ],
)
def test_broken_schedules_name_the_field(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("*", r"\*")):
        Schedule.parse(text)


def test_unknown_time_zone() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        time_zone("Mars/Olympus")
