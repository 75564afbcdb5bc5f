"""The store's rules in memory: one compiled ``RuleSet`` per segment of the campaign schedule.

The cached campaigns become rule sets through ``loyalty.pricing.ruleset_builder``, the same
builder the server's re-pricing and the simulation use, so the till merges the same campaigns
in the same order and reads their windows in the same zone. Campaign schedules
(``valid_from``/``valid_until``) are honoured with the till's own clock, offline too: every
segment of time between two schedule bounds is compiled when the campaigns change (by the
sync worker, :meth:`Rules.rebuild`), and the sale flow only looks its moment up
(:meth:`Rules.ruleset_at`, a bisect), so a campaign switches on or off at its bound while the
agent runs and a sale never waits for a compile. A bad campaign keeps the previous rule sets
and is reported in the status. A member's personal offers are compiled apart, on first use,
and priced beside the chain's rules.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from loyalty.errors import LoyaltyError
from loyalty.pricing import RuleSet, personal_ruleset
from loyalty.pricing.ruleset_builder import PublishedCampaign, StoreRules

from ..clock import Clock
from ..clock import now as clock_now

log = logging.getLogger("tillclub.agent.rules")

PERSONAL_MEMO = 512  # members whose compiled offers are kept (a till sees few at a time)


class Rules:
    """The rule sets of this till's store.

    :param timezone: the terminal's configured zone; pricing reads the store's zone from the
        store record the server sent (master data), else from the campaigns
        (``docs/campaign-format.md``), and a difference is logged.
    :param store_id: the store the campaigns are built for.
    """

    def __init__(
        self, timezone: str, store_id: str | None = None, clock: Clock = clock_now
    ) -> None:
        self.timezone = timezone
        self.store_id = store_id
        self.clock = clock
        self.store_rules = StoreRules((), store_id)
        self.store_rules.precompile()
        self.error: str | None = None
        self.warning: str | None = None  # the campaigns' zone for the store is not the terminal's
        self._lock = threading.Lock()
        self._rebuilding = threading.Lock()
        # offers (as JSON) -> (the chain rule set they were compiled against, their rules)
        self._personal: OrderedDict[tuple[bytes, ...], tuple[RuleSet, RuleSet | None]]
        self._personal = OrderedDict()

    def ruleset_at(self, at: datetime) -> RuleSet:
        """The chain's rule set in force at ``at``: a lookup, never a compile."""
        store_rules = self.store_rules  # one read: a rebuild swaps the whole object
        found = store_rules.compiled_at(at)
        if found is None:  # cannot happen after rebuild's precompile; never refuse a sale
            log.warning("rule set compiled during a sale")
            found = store_rules.at(at)
        return found

    @property
    def ruleset(self) -> RuleSet:
        """The rule set in force now (by the till's clock)."""
        return self.ruleset_at(self.clock())

    @property
    def rule_count(self) -> int:
        """How many rules are in force now."""
        return len(self.ruleset.rules)

    def summary(self) -> dict[str, Any]:
        """For the status: rules in force now and the next schedule bound, if any."""
        now = self.clock()
        upcoming = [b for b in self.store_rules.bounds if b > now]
        return {
            "rules_in_force": self.rule_count,
            "campaigns": len(self.store_rules.campaigns),
            "next_change_at": upcoming[0].isoformat() if upcoming else None,
            "timezone": self.store_rules.zone,
        }

    def personal(self, offers: Sequence[Mapping[str, Any]], chain: RuleSet) -> RuleSet | None:
        """A member's personal offers (their wire form) as rules to price beside ``chain``
        (``loyalty.pricing.personal_ruleset``), compiled once per distinct set of offers and
        chain rule set. A broken offer never stops a sale: it is left out and logged."""
        if not offers:
            return None
        key = tuple(sorted(orjson.dumps(o, option=orjson.OPT_SORT_KEYS) for o in offers))
        with self._lock:
            hit = self._personal.get(key)
            if hit is not None and hit[0] is chain:
                self._personal.move_to_end(key)
                return hit[1]
        try:
            personal = personal_ruleset(offers, chain.timezone_for(self.store_id), chain.by_id)
        except LoyaltyError as exc:
            log.warning("personal offers not applied: %s", exc.message_en)
            personal = None
        with self._lock:
            self._personal[key] = (chain, personal)
            while len(self._personal) > PERSONAL_MEMO:
                self._personal.popitem(last=False)
        return personal

    def rebuild(
        self, campaigns: Iterable[Mapping[str, Any]], store_zone: str | None = None
    ) -> None:
        """Compile every segment of the cached campaigns' schedule, then swap them in.

        :param store_zone: the store's own time zone (the cached ``store`` record), handed to
            the builder as re-pricing and the simulation hand the server's ``stores.timezone``.

        Compiling happens outside the lock the sale path's personal offers take, so a sale is
        never held up by a rebuild; rebuilds themselves are serialised.
        """
        with self._rebuilding:
            try:
                published = [PublishedCampaign.from_wire(c) for c in campaigns]
                store_rules = StoreRules(published, self.store_id, store_zone)
                store_rules.precompile()
            except LoyaltyError as exc:
                self.error = f"campaigns not applied: {exc.message_en}"
                log.error(self.error)
                return
            except (TypeError, ValueError) as exc:  # a schedule that is not a date-time
                self.error = f"campaigns not applied: {type(exc).__name__}: {exc}"
                log.error(self.error)
                return
            warning = None
            if (store_rules.campaigns or store_zone) and store_rules.zone != self.timezone:
                warning = (
                    f"this store is priced in {store_rules.zone}, "
                    f"the terminal is set to {self.timezone}"
                )
                log.warning(warning)
            with self._lock:
                self.store_rules = store_rules
                self.warning = warning
                self.error = None
