"""The compiled rule set: rules validated once and indexed by store, sku, category, brand, tag.

Pricing a basket looks up only the rules that can touch its lines (plus the few that apply to
every line), so the cost grows with the rules relevant to the basket, not with all live rules.
Rules limited to some stores are indexed per store: a chain's 5,000 rules cost a store only
its own share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .campaign_file import CampaignFile, parse_campaign
from .rules import BundlePrice, BuyGet, Rule, Selector, Stage

# What an explanation says of a rule besides the amount: source, id, name, kind, stage.
Head = tuple[str, str, str, str, Stage]


@dataclass(frozen=True, slots=True)
class StoreIndex:
    """The rules live in one store, by what they can select. Values are in file order."""

    by_sku: dict[str, tuple[Rule, ...]]
    by_category: dict[str, tuple[Rule, ...]]
    by_brand: dict[str, tuple[Rule, ...]]
    by_tag: dict[str, tuple[Rule, ...]]
    everywhere: tuple[Rule, ...]  # rules that may touch any line
    # (sku, category, brand, tags) -> the rules whose scope covers such a line: indexed ones
    # in hit order, and the `everywhere` ones that have an `exclude`. Filled as baskets are
    # priced, so a product pays the lookups and scope checks once per rule set, not per sale.
    scopes: dict[
        tuple[str, str, str, frozenset[str]], tuple[tuple[Rule, ...], tuple[Rule, ...]]
    ] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RuleSet:
    """A validated, indexed campaign file: build it once, price many baskets with it."""

    campaign: CampaignFile
    by_id: dict[str, Rule] = field(repr=False)
    heads: dict[str, Head] = field(repr=False)
    _all_stores: StoreIndex = field(repr=False)
    _per_store: dict[str, StoreIndex] = field(repr=False)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.campaign.rules

    def index_for(self, store_id: str | None) -> StoreIndex:
        """The index of rules live in ``store_id`` (``None``: rules without a store list)."""
        if store_id is None:
            return self._all_stores
        return self._per_store.get(store_id, self._all_stores)

    @cached_property
    def has_exclusive(self) -> bool:
        """Whether any rule is exclusive (most rule sets have none: no options to compare)."""
        return any(rule.exclusive for rule in self.campaign.rules)

    @cached_property
    def by_coupon(self) -> dict[str, tuple[Rule, ...]]:
        """The rules that fire on a presented coupon code, by code (upper case), file order."""
        out: dict[str, list[Rule]] = {}
        for rule in self.campaign.rules:
            if rule.coupon is not None:
                out.setdefault(rule.coupon, []).append(rule)
        return {code: tuple(rules) for code, rules in out.items()}

    def timezone_for(self, store_id: str | None) -> str:
        if store_id is None:
            return self.campaign.timezone
        return self.campaign.store_timezones.get(store_id, self.campaign.timezone)


def compile_rules(data: object) -> RuleSet:
    """Parse, validate and index a decoded campaign file.

    :raises CampaignError: naming the first bad rule and field.
    """
    return build_ruleset(parse_campaign(data))


def build_ruleset(campaign: CampaignFile) -> RuleSet:
    open_rules = [r for r in campaign.rules if not r.valid.stores]
    stores = sorted({s for r in campaign.rules for s in r.valid.stores})
    per_store = {
        store: _index(r for r in campaign.rules if not r.valid.stores or store in r.valid.stores)
        for store in stores
    }
    by_id = {r.id: r for r in campaign.rules}
    heads = {r.id: ("rule", r.id, r.name, r.kind.value, r.stage) for r in campaign.rules}
    return RuleSet(campaign, by_id, heads, _index(open_rules), per_store)


def index_selectors(rule: Rule) -> list[Selector] | None:
    """Selectors at least one of which a line must match to matter; ``None``: any line may."""
    if rule.applies_to is not None:
        return [rule.applies_to]
    params = rule.params
    if isinstance(params, BuyGet):
        return [params.buy.applies_to, params.get.applies_to]
    if isinstance(params, BundlePrice):
        return [c.applies_to for c in params.components]
    return None


def _index(rules: Iterable[Rule]) -> StoreIndex:
    maps: tuple[dict[str, list[Rule]], ...] = ({}, {}, {}, {})
    everywhere: list[Rule] = []
    for rule in rules:
        selectors = index_selectors(rule)
        if selectors is None:
            everywhere.append(rule)
            continue
        for sel in selectors:
            for target, keys in zip(
                maps, (sel.skus, sel.categories, sel.brands, sel.tags), strict=True
            ):
                for key in keys:
                    bucket = target.setdefault(key, [])
                    if not bucket or bucket[-1] is not rule:
                        bucket.append(rule)
    frozen = tuple({k: tuple(v) for k, v in m.items()} for m in maps)
    return StoreIndex(frozen[0], frozen[1], frozen[2], frozen[3], tuple(everywhere))
