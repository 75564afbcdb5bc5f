"""A clock a test moves by hand: pass it wherever code takes a ``Clock`` (a callable)."""

from __future__ import annotations

import datetime as dt


class MovableClock:
    """Reads ``at`` until a test moves it; ``now`` is the same reading under another name."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError(f"a clock needs an aware datetime, not {at!r}")
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    @property
    def now(self) -> dt.datetime:
        return self.at

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self.at = value

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)
