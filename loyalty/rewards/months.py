"""Calendar-month arithmetic for expiry and tier windows (no third-party dateutil in the core)."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(when: datetime, months: int) -> datetime:
    """``when`` moved by ``months`` calendar months, the day clamped to the month's end.

    >>> from datetime import timezone
    >>> add_months(datetime(2025, 1, 31, 10, tzinfo=timezone.utc), 1).date().isoformat()
    '2025-02-28'
    >>> add_months(datetime(2025, 3, 15, tzinfo=timezone.utc), -12).date().isoformat()
    '2024-03-15'
    """
    index = when.year * 12 + (when.month - 1) + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)
