"""Parse the shared parts of a rule: selectors, audience and validity window.

Helpers of :mod:`campaign_file`; each raises through the caller's ``raise_`` so the message
names the rule.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from . import values as v
from .rules import Audience, Selector, Validity

SELECTOR_FIELDS = {"skus", "categories", "brands", "tags"}
AUDIENCE_FIELDS = {"members_only", "tiers", "segments", "member_ids"}
VALID_FIELDS = {"from", "until", "weekdays", "hours", "stores"}


def selector(raise_: v.Raise, name: str, raw: object) -> Selector:
    data = v.mapping(raise_, name, raw)
    v.known_fields(raise_, f"{name}.", data, SELECTOR_FIELDS)
    sel = Selector(
        *(
            v.strings(raise_, f"{name}.{key}", data.get(key, []))
            for key in ("skus", "categories", "brands", "tags")
        )
    )
    if not (sel.skus or sel.categories or sel.brands or sel.tags):
        raise_(
            name,
            "must name at least one sku, category, brand or tag (leave it out to mean every line)",
            "deve indicar ao menos um sku, categoria, marca ou tag (omita para todos os itens)",
        )
    return sel


def audience(raise_: v.Raise, raw: object) -> Audience:
    data = v.mapping(raise_, "audience", raw)
    v.known_fields(raise_, "audience.", data, AUDIENCE_FIELDS)
    return Audience(
        members_only=v.flag(raise_, "audience.members_only", data.get("members_only", False)),
        tiers=v.strings(raise_, "audience.tiers", data.get("tiers", [])),
        segments=v.strings(raise_, "audience.segments", data.get("segments", [])),
        member_ids=v.strings(raise_, "audience.member_ids", data.get("member_ids", [])),
    )


def validity(raise_: v.Raise, raw: object) -> Validity:
    data = v.mapping(raise_, "valid", raw)
    v.known_fields(raise_, "valid.", data, VALID_FIELDS)
    starts = _when(raise_, "valid.from", data["from"], end=False) if "from" in data else None
    ends = _when(raise_, "valid.until", data["until"], end=True) if "until" in data else None
    if starts is not None and ends is not None:
        comparable = (starts.tzinfo is None) == (ends.tzinfo is None)
        if not comparable:
            raise_(
                "valid.until",
                "must be written like 'valid.from' (both with or both without a UTC offset)",
                "deve ser escrito como 'valid.from' (ambos com ou ambos sem fuso UTC)",
            )
        until = v.show(data["until"])
        if ends <= starts:
            raise_(
                "valid.until",
                f"must be after 'valid.from' ({data['from']}), got {until}",
                f"deve ser depois de 'valid.from' ({data['from']}), recebido {until}",
            )
    weekdays = data.get("weekdays", [])
    if not isinstance(weekdays, list) or not all(type(d) is int and 1 <= d <= 7 for d in weekdays):
        raise_(
            "valid.weekdays",
            f"must be a list of weekdays from 1 (Monday) to 7 (Sunday), got {v.show(weekdays)}",
            f"deve ser uma lista de dias de 1 (segunda) a 7 (domingo), recebido {v.show(weekdays)}",
        )
    hours = _hours(raise_, data["hours"]) if "hours" in data else None
    return Validity(
        starts,
        ends,
        frozenset(weekdays),
        hours,
        v.strings(raise_, "valid.stores", data.get("stores", [])),
    )


def _when(raise_: v.Raise, name: str, value: object, *, end: bool) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                # A date-only "until" means through that whole day.
                return datetime.combine(day + timedelta(days=1) if end else day, time())
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise_(
        name,
        f"must be an ISO-8601 date or local date-time (2026-03-01, 2026-03-01T08:00), "
        f"got {v.show(value)}",
        f"deve ser uma data ou data-hora local ISO-8601 (2026-03-01, 2026-03-01T08:00), "
        f"recebido {v.show(value)}",
    )


def _hours(raise_: v.Raise, value: object) -> tuple[time, time | None]:
    parsed: list[time | None] = []
    if isinstance(value, list) and len(value) == 2 and all(isinstance(h, str) for h in value):
        for i, h in enumerate(value):
            if i == 1 and h.strip() == "24:00":
                parsed.append(None)
                continue
            try:
                if len(h.strip()) == 5:
                    parsed.append(time.fromisoformat(h.strip()))
            except ValueError:
                break
    start = parsed[0] if parsed else None
    if len(parsed) != 2 or start is None or start == parsed[1]:
        raise_(
            "valid.hours",
            f'must be ["HH:MM", "HH:MM"] (start inclusive, end exclusive), got {v.show(value)}',
            f'deve ser ["HH:MM", "HH:MM"] (início incluso, fim excluso), recebido {v.show(value)}',
        )
    return (start, parsed[1])
