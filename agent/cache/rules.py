"""The store's rules as one compiled ``RuleSet`` in memory, rebuilt when campaigns change.

The cached campaigns visible to this store are merged into one campaign document, as the
server does when it re-prices a pushed sale, and compiled once. The sync worker calls
:meth:`Rules.rebuild` after a pull that touched campaigns; the sale flow only reads
:attr:`Rules.ruleset`, a plain attribute swap, so a sale never waits for a compile. A bad
campaign keeps the previous rule set and is reported in the status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from loyalty.errors import LoyaltyError
from loyalty.pricing import RuleSet, compile_rules

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


class Rules:
    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self.ruleset: RuleSet = compile_rules({"timezone": timezone, "rules": []})
        self.rule_count = 0
        self.error: str | None = None
        self._lock = threading.Lock()

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
