"""The one way published campaigns become a store's rule set for a moment.

The till's cache, the server's re-pricing and the campaign simulation all call this module,
so they merge the same campaigns in the same order and read windows in the same time zone
(``docs/campaign-format.md``, "Campaigns, schedules and the merged rule set"):

* **Visible**: a campaign serves a store when it is active and its store list is empty
  (every store) or names the store.
* **Live**: a visible campaign is live at ``at`` when ``valid_from <= at < valid_until``
  (start inclusive, end exclusive; a missing bound is open). Aware bounds are instants; a
  naive bound is read as the store's local time, like a rule's ``valid.from``/``until``.
* **Merge order**: live campaigns by ``id`` (code-point order), each campaign's rules in
  file order. The order is independent of database, cache or feed order.
* **Time zone** of the store: the store's own zone (master data, ``stores.timezone``, passed
  in as ``store_zone`` by the caller) when it has one, else the ``store_timezones`` entry for
  the store in the first live campaign (merge order) that has one, else the first live
  campaign's ``timezone``, else ``America/Sao_Paulo``. Nothing else (a terminal's setting)
  enters, so every place that passes the same store zone agrees.

Compiling is the costly part, so :class:`StoreRules` compiles once per distinct set of live
campaigns (a *segment* of time between two schedule bounds) and :meth:`StoreRules.precompile`
builds them all ahead, for callers (the till) that must never compile while pricing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .campaign_file import DEFAULT_TIMEZONE
from .index import RuleSet, compile_rules

LiveKey = tuple[tuple[str, int], ...]  # (campaign id, version) of the live campaigns, in order


@dataclass(frozen=True)
class PublishedCampaign:
    """A published campaign as the builder needs it (server row or till cache record)."""

    id: str
    document: Mapping[str, Any]
    version: int = 1
    active: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    store_ids: frozenset[str] | None = None  # None: every store

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> PublishedCampaign:
        """From the campaign record of ``GET /api/v1/changes`` (what a till caches).

        :raises ValueError: a ``valid_from``/``valid_until`` that is not an ISO date-time.
        """
        return cls(
            id=str(data.get("id")),
            document=data.get("document") or {},
            version=int(data.get("version") or 1),
            active=bool(data.get("active", True)),
            valid_from=_instant(data.get("valid_from")),
            valid_until=_instant(data.get("valid_until")),
        )

    def serves(self, store_id: str | None) -> bool:
        if not self.active:
            return False
        return self.store_ids is None or (store_id is not None and store_id in self.store_ids)

    def live_at(self, at: datetime, zone: str) -> bool:
        """Whether the schedule covers ``at`` (aware); naive bounds are local to ``zone``."""
        start, end = self._bound(self.valid_from, zone), self._bound(self.valid_until, zone)
        return (start is None or start <= at) and (end is None or at < end)

    @staticmethod
    def _bound(value: datetime | None, zone: str) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=ZoneInfo(zone))


def _instant(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def store_timezone(
    campaigns: Iterable[PublishedCampaign], store_id: str | None, store_zone: str | None = None
) -> str:
    """The store's zone by the rule above, over ``campaigns`` taken in merge order.

    :param store_zone: the store's own zone (master data); ``None``: the store has none.

    .. versionchanged:: 0.1
        The store's own zone comes first.
    """
    if store_zone:
        return store_zone
    ordered = sorted(campaigns, key=_order)
    for c in ordered:
        zones = c.document.get("store_timezones") or {}
        if store_id is not None and isinstance(zones, Mapping) and store_id in zones:
            return str(zones[store_id])
    for c in ordered:
        if "timezone" in c.document:
            return str(c.document["timezone"])
    return DEFAULT_TIMEZONE


def _order(c: PublishedCampaign) -> str:
    return c.id


def merged_document(
    campaigns: Iterable[PublishedCampaign], store_id: str | None, store_zone: str | None = None
) -> dict[str, Any]:
    """One campaign document of ``campaigns`` (taken as given: no schedule check), merged in
    merge order, with the store's zone (``store_zone`` first, :func:`store_timezone`) as its
    ``timezone`` and as the store's ``store_timezones`` entry, so the engine reads it."""
    ordered = sorted(campaigns, key=_order)
    rules: list[Any] = []
    zones: dict[str, Any] = {}
    for c in ordered:
        rules.extend(c.document.get("rules", []))
        for store, zone in (c.document.get("store_timezones") or {}).items():
            zones.setdefault(store, zone)
    zone = store_timezone(ordered, store_id, store_zone)
    document: dict[str, Any] = {"timezone": zone, "rules": rules}
    if store_id is not None and store_id in zones:
        zones[store_id] = zone  # the engine looks the store up here before ``timezone``
    if zones:
        document["store_timezones"] = zones
    return document


class StoreRules:
    """The rule sets of one store over time, compiled once per segment of the schedule.

    :param campaigns: every published campaign (not yet filtered by store or schedule).
    :param store_zone: the store's own time zone (master data, ``stores.timezone``), which
        comes before any zone the campaigns name; ``None``: the store has none.
    """

    def __init__(
        self,
        campaigns: Iterable[PublishedCampaign],
        store_id: str | None,
        store_zone: str | None = None,
    ) -> None:
        self.store_id = store_id
        self.store_zone = store_zone or None
        self.campaigns = tuple(sorted((c for c in campaigns if c.serves(store_id)), key=_order))
        # The zone that reads naive schedule bounds: the store's over all its campaigns.
        self.zone = store_timezone(self.campaigns, store_id, self.store_zone)
        bounds = {
            b
            for c in self.campaigns
            for b in (c._bound(c.valid_from, self.zone), c._bound(c.valid_until, self.zone))
            if b is not None
        }
        self.bounds: tuple[datetime, ...] = tuple(sorted(bounds))
        self._keys: dict[int, LiveKey] = {}
        self._compiled: dict[LiveKey, RuleSet] = {}
        self._by_segment: dict[int, RuleSet] = {}  # the sale path's lookup: no key hashing

    def live(self, at: datetime) -> tuple[PublishedCampaign, ...]:
        """The campaigns live at ``at`` (aware), in merge order."""
        return tuple(c for c in self.campaigns if c.live_at(at, self.zone))

    def key_at(self, at: datetime) -> LiveKey:
        """Which campaigns are live at ``at``, cheaply (a bisect once segments are known)."""
        segment = bisect_right(self.bounds, at)
        key = self._keys.get(segment)
        if key is None:
            key = self._keys[segment] = tuple((c.id, c.version) for c in self.live(at))
        return key

    def document_at(self, at: datetime) -> dict[str, Any]:
        return merged_document(self.live(at), self.store_id, self.store_zone)

    def at(self, at: datetime) -> RuleSet:
        """The compiled rule set in force at ``at``; compiles it on first need.

        :raises CampaignError: the live campaigns do not compile together.
        """
        segment = bisect_right(self.bounds, at)
        found = self._by_segment.get(segment)
        if found is None:
            key = self.key_at(at)
            found = self._compiled.get(key)
            if found is None:
                found = self._compiled[key] = compile_rules(self.document_at(at))
            self._by_segment[segment] = found
        return found

    def compiled_at(self, at: datetime) -> RuleSet | None:
        """The rule set at ``at`` if already compiled (never compiles): a bisect and a lookup."""
        return self._by_segment.get(bisect_right(self.bounds, at))

    def precompile(self) -> None:
        """Compile the rule set of every segment (at most 2 per scheduled campaign + 1).

        :raises CampaignError: naming the first segment's bad rule.
        """
        for start in self.segment_starts():
            self.at(start)

    def segment_starts(self) -> list[datetime]:
        """One instant in each segment: just before the first bound, then each bound."""
        if not self.bounds:
            return [datetime.min.replace(tzinfo=ZoneInfo("UTC"))]
        return [datetime.min.replace(tzinfo=ZoneInfo("UTC")), *self.bounds]


def ruleset_at(
    campaigns: Iterable[PublishedCampaign],
    store_id: str | None,
    at: datetime,
    store_zone: str | None = None,
) -> RuleSet:
    """The rule set of ``store_id`` at ``at`` (compiled now; prefer :class:`StoreRules`)."""
    return StoreRules(campaigns, store_id, store_zone).at(at)
