"""Cron-like schedules: parse ``"minute hour day month weekday"`` and find fire times.

Five fields as in crontab(5): numbers, ``*``, ranges ``a-b``, steps ``*/n`` and ``a-b/n``,
lists ``a,b``; weekday 0-7 (0 and 7 are Sunday). When both day of month and weekday are
restricted a day matches either, as cron does. Times are in the chain's time zone (an IANA
name such as ``America/Sao_Paulo``); the period of a run is its fire time written as local
``YYYY-MM-DDTHH:MM``. A schedule string may also be ``"off"``: the job never runs by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_SEARCH_DAYS = 366 * 5  # "0 0 29 2 *" fires once in four years; beyond five, nothing fires


class ScheduleError(ValueError):
    """A schedule string that is not five valid cron fields; the message says which field."""


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        base, _sep, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                start, end = int(a), int(b)
            else:
                start = end = int(base)
        except ValueError:
            raise ScheduleError(f"{name} field {text!r}: not a number, range or step") from None
        if step < 1 or not (low <= start <= end <= high):
            raise ScheduleError(f"{name} field {text!r}: values must be {low}-{high}, step ≥ 1")
        out.update(range(start, end + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Schedule:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_any: bool
    weekday_any: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """:raises ScheduleError: not five fields, or a field out of range."""
        parts = text.split()
        if len(parts) != 5:
            raise ScheduleError(
                f"{text!r}: expected 5 fields (minute hour day month weekday), got {len(parts)}"
            )
        sets = [_field(p, n, lo, hi) for p, (n, lo, hi) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        day_any, weekday_any = parts[2] == "*", parts[4] == "*"
        return cls(text, sets[0], sets[1], sets[2], sets[3], weekdays, day_any, weekday_any)

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.day_any or self.weekday_any:
            return in_month and in_week
        return in_month or in_week

    def _times(self, day: dt.date, tz: ZoneInfo) -> list[dt.datetime]:
        return [
            dt.datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
            for h in sorted(self.hours)
            for m in sorted(self.minutes)
        ]

    def previous(self, at: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        """The last fire time at or before ``at`` (aware, in ``tz``), or None."""
        local = at.astimezone(tz)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                fits = [t for t in self._times(day, tz) if t <= local]
                if fits:
                    return fits[-1]
            day -= dt.timedelta(days=1)
        return None

    def next(self, at: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        """The first fire time strictly after ``at`` (aware, in ``tz``), or None."""
        local = at.astimezone(tz)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                fits = [t for t in self._times(day, tz) if t > local]
                if fits:
                    return fits[0]
            day += dt.timedelta(days=1)
        return None


def period_of(fire: dt.datetime) -> str:
    """The period key of a fire time: local ``YYYY-MM-DDTHH:MM`` (the contract's format)."""
    return fire.strftime("%Y-%m-%dT%H:%M")


def time_zone(name: str) -> ZoneInfo:
    """:raises ScheduleError: an unknown IANA time zone name."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ScheduleError(f"unknown time zone {name!r} (use an IANA name)") from None
