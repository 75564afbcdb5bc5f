"""The period and store filter shared by the reports and the sync-issues pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import abort, request

from .. import clock
from ..errors import PageRefusal
from .access import current

MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """``[begin, end)`` in UTC and the stores the admin may see (``None``: every store)."""

    begin: dt.datetime
    end: dt.datetime
    stores: frozenset[str] | None


def period_from_request() -> tuple[Period, dict[str, str]]:
    """The period (default: the last 30 days, UTC) and store from the query string, checked.

    A malformed date or a reversed or over-long period is a 400; a store the admin may not see
    is a 403. Returns the filter and the normalised query arguments (for links and CSV).
    """
    today = clock.now().date()
    args = {
        "from": request.args.get("from", ""),
        "until": request.args.get("until", ""),
        "store": request.args.get("store", ""),
    }
    try:
        start = (
            dt.date.fromisoformat(args["from"]) if args["from"] else today - dt.timedelta(days=29)
        )
        until = dt.date.fromisoformat(args["until"]) if args["until"] else today
    except ValueError:
        raise PageRefusal("A date is not in the form YYYY-MM-DD.") from None
    if until < start:
        raise PageRefusal("The period ends before it starts.")
    if (until - start).days > MAX_DAYS:
        raise PageRefusal("A period is at most {days} days long.", days=MAX_DAYS)
    args["from"], args["until"] = start.isoformat(), until.isoformat()
    admin = current()
    store = args["store"] or None
    if store is not None:
        if not admin.sees_store(store):
            abort(403)
        stores: frozenset[str] | None = frozenset({store})
    else:
        stores = admin.stores
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    end = dt.datetime.combine(until, dt.time(), dt.UTC) + dt.timedelta(days=1)
    return Period(begin, end, stores), args
