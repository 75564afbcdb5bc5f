"""Which live rules touch which lines of a basket: the index lookups, scope and liveness.

Each product's covering rules are remembered per store index (``StoreIndex.scopes``), so a
sale pays the lookups and scope checks only for products no earlier sale had; liveness
(window, audience, coupon) is checked once per rule per sale, never per line.
"""

from __future__ import annotations

from datetime import datetime

from .basket import MemberContext
from .eligibility import live
from .index import StoreIndex
from .rules import Rule
from .state import LineState

RuleLines = tuple[Rule, list[LineState]]
_UNSEEN: list[LineState] = []


def candidates(
    idx: StoreIndex,
    order: list[LineState],
    member: MemberContext | None,
    codes: frozenset[str],
    at: datetime,
    local: datetime,
) -> list[RuleLines]:
    """The live rules with the lines in their scope, each list in attribute (rank) order.

    Indexed rules come first, in the order the lines first reach them, then the rules that
    may touch any line, in file order (the stages sort them; earning sorts too).
    """
    seen: dict[str, list[LineState] | None] = {}
    seen_get = seen.get
    # A live rule goes out at its first line, with the list its later lines are added to.
    out: list[RuleLines] = []
    scopes_get = idx.scopes.get
    for ls in order:
        key = ls.line.scope_key
        scope = scopes_get(key)
        if scope is None:
            scope = _scope(idx, key)
        hits, anywhere = scope
        for rule in hits:
            lines = seen_get(rule.id, _UNSEEN)
            if lines is _UNSEEN:
                if rule.unconditional or _live(rule, member, codes, at, local):
                    lines = seen[rule.id] = [ls]
                    out.append((rule, lines))
                else:
                    seen[rule.id] = None
            elif lines is not None:
                lines.append(ls)
        if anywhere:  # rare: a rule on every line but some
            for rule in anywhere:
                lines = seen_get(rule.id, _UNSEEN)
                if lines is _UNSEEN:
                    live_now = rule.unconditional or _live(rule, member, codes, at, local)
                    lines = seen[rule.id] = [] if live_now else None
                if lines is not None:
                    lines.append(ls)
    for rule in idx.everywhere:
        if rule.exclude is None:  # every line: no per-line work
            if rule.unconditional or _live(rule, member, codes, at, local):
                # One list shared by all such rules (no stage changes a rule's lines): the
                # stages sum its nets once for all of them.
                out.append((rule, order))
        elif lines := seen_get(rule.id):
            out.append((rule, lines))
    return out


def _live(
    rule: Rule, member: MemberContext | None, codes: frozenset[str], at: datetime, local: datetime
) -> bool:
    """``live``, with the common cases (no condition; members only; an activation) decided at
    once: the same answer, without the general checks."""
    if rule.unconditional:
        return True
    if rule.members_only_gate:
        return member is not None
    if rule.activation_gate:
        return member is not None and rule.id in member.activated_offers
    return live(rule, member, codes, at, local)


_SCOPES_KEPT = 50_000  # products remembered per store index (a catalogue, with room)


def _scope(
    idx: StoreIndex, key: tuple[str, str, str, frozenset[str]]
) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """The rules covering a line with these attributes: the index's hits, and ``everywhere``."""
    sku, category, brand, tags = key
    hits = idx.by_sku.get(sku, ()) + idx.by_category.get(category, ()) + idx.by_brand.get(brand, ())
    for tag in sorted(tags):
        hits += idx.by_tag.get(tag, ())
    covering: dict[str, Rule] = {}
    for rule in hits:
        if rule.id not in covering and rule.covers(sku, category, brand, tags):
            covering[rule.id] = rule
    anywhere = tuple(
        r for r in idx.everywhere if r.exclude is not None and r.covers(sku, category, brand, tags)
    )
    found = (tuple(covering.values()), anywhere)
    if len(idx.scopes) >= _SCOPES_KEPT:
        idx.scopes.clear()  # odd inputs (random skus) must not grow memory without end
    idx.scopes[key] = found
    return found
