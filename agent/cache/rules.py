"""The store's rules as one compiled ``RuleSet`` in memory, rebuilt when campaigns change.

The cached campaigns visible to this store are merged into one campaign document, as the
server does when it re-prices a pushed sale, and compiled once. The sync worker calls
:meth:`Rules.rebuild` after a pull that touched campaigns; the sale flow only reads
:attr:`Rules.ruleset`, a plain attribute swap, so a sale never waits for a compile. A bad
campaign keeps the previous rule set and is reported in the status. A member's personal
offers are compiled apart, on first use, and priced beside the chain's rules.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from loyalty.errors import LoyaltyError
from loyalty.pricing import RuleSet, compile_rules, personal_ruleset

log = logging.getLogger("tillclub.agent.rules")


def merged_document(campaigns: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"rules": []}
    for campaign in sorted(campaigns, key=lambda c: str(c.get("id"))):
        if not campaign.get("active", True):
            continue
        doc = campaign.get("document") or {}
        merged["rules"].extend(doc.get("rules", []))
        for key in ("timezone", "store_timezones"):
            if key in doc:
                merged.setdefault(key, doc[key])
    return merged


PERSONAL_MEMO = 512  # members whose compiled offers are kept (a till sees few at a time)


class Rules:
    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self.ruleset: RuleSet = compile_rules({"timezone": timezone, "rules": []})
        self.rule_count = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        # offers (as JSON) -> (the chain rule set they were compiled against, their rules)
        self._personal: OrderedDict[tuple[bytes, ...], tuple[RuleSet, RuleSet | None]]
        self._personal = OrderedDict()

    def personal(self, offers: Sequence[Mapping[str, Any]]) -> RuleSet | None:
        """A member's personal offers (their wire form) as rules to price beside the chain's
        (``loyalty.pricing.personal_ruleset``), compiled once per distinct set of offers and
        campaign version. A broken offer never stops a sale: it is left out and logged."""
        if not offers:
            return None
        key = tuple(sorted(orjson.dumps(o, option=orjson.OPT_SORT_KEYS) for o in offers))
        with self._lock:
            chain = self.ruleset
            hit = self._personal.get(key)
            if hit is not None and hit[0] is chain:
                self._personal.move_to_end(key)
                return hit[1]
        try:
            personal = personal_ruleset(offers, chain.campaign.timezone, chain.by_id)
        except LoyaltyError as exc:
            log.warning("personal offers not applied: %s", exc.message_en)
            personal = None
        with self._lock:
            self._personal[key] = (chain, personal)
            while len(self._personal) > PERSONAL_MEMO:
                self._personal.popitem(last=False)
        return personal

    def rebuild(self, campaigns: Iterable[Mapping[str, Any]]) -> None:
        document = merged_document(campaigns)
        document.setdefault("timezone", self.timezone)
        with self._lock:
            try:
                ruleset = compile_rules(document)
            except LoyaltyError as exc:
                self.error = f"campaigns not applied: {exc.message_en}"
                log.error(self.error)
                return
            self.ruleset = ruleset
            self.rule_count = len(document["rules"])
            self.error = None
