"""RFM scores and value classes: pure functions over per-member figures (no database, no clock).

**RFM.** Each member with at least one sale in the window gets three scores from 1 to 5 by
rank among those members (quintiles): recency (days since the last sale, fewer is better),
frequency (number of sales) and monetary value (net spend). Equal figures always get the
same score, and a better figure never a lower one. The R and F scores name the segment:

============================  =====================================
segment                       rule (checked top down)
============================  =====================================
``champions``                 R ≥ 4 and F ≥ 4
``at_risk``                   R ≤ 2 and F ≥ 4
``loyal``                     F ≥ 4
``new_customers``             R ≥ 4 and F = 1
``potential_loyalists``       R ≥ 4
``lost``                      R = 1 and F ≤ 2
``hibernating``               R ≤ 2
``need_attention``            everything else (R = 3, F ≤ 3)
============================  =====================================

**Value classes** (the customer value matrix head office uses): a member's contribution is
``margin × net spend − rewards given`` (points at their BRL value plus cashback; discounts are
already out of the net spend).

- ``below_zero``: contribution < 0, they cost more than they bring;
- ``most_valuable``: the top ``top_share`` (20 %) of members by contribution;
- ``most_potential``: not in the top, but recent and frequent (R ≥ 4 and F ≥ 3);
- ``intermediate``: the rest.

Rules use them as ``audience.segments``: ``rfm:<segment>`` and ``value:<class>``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

RFM_SEGMENTS = (
    "champions",
    "at_risk",
    "loyal",
    "new_customers",
    "potential_loyalists",
    "lost",
    "hibernating",
    "need_attention",
)
VALUE_CLASSES = ("most_valuable", "most_potential", "intermediate", "below_zero")
BINS = 5
# The two families of segment names rules, batches and the member feed use: ``rfm:<segment>``
# and ``value:<class>``. Defined here only.
RFM = "rfm"
VALUE = "value"


def segment_name(kind: str, name: str) -> str:
    """The name a rule's ``audience.segments`` uses, e.g. ``segment_name(RFM, "champions")``."""
    return f"{kind}:{name}"


def parse_segment_name(text: str) -> tuple[str, str] | None:
    """``(kind, name)`` of ``rfm:<segment>`` or ``value:<class>``; ``None`` for anything else."""
    kind, _sep, name = text.partition(":")
    if kind not in (RFM, VALUE) or not name:
        return None
    return kind, name


@dataclass(frozen=True)
class MemberFigures:
    member_id: str
    recency_days: int
    frequency: int
    monetary: Decimal  # net spend in the window
    rewards_cost: Decimal  # points at their BRL value plus cashback earned in the window


@dataclass(frozen=True)
class MemberScore:
    member_id: str
    r: int
    f: int
    m: int
    rfm_segment: str
    contribution: Decimal
    value_class: str


def quantile_scores(
    values: Sequence[Decimal | int], *, higher_is_better: bool = True, bins: int = BINS
) -> list[int]:
    """A score 1..``bins`` per value: ``ceil(bins × share of values at or below it)``.

    Ties share a score, the best value always scores ``bins``, and a lone member too.
    """
    n = len(values)
    if n == 0:
        return []
    keyed = [v if higher_is_better else -v for v in values]
    ordered = sorted(keyed)
    return [-(-bins * bisect_right(ordered, k) // n) for k in keyed]


def rfm_segment(r: int, f: int) -> str:
    """The segment of an R and F score (table in the module docstring)."""
    if r >= 4 and f >= 4:
        return "champions"
    if r <= 2 and f >= 4:
        return "at_risk"
    if f >= 4:
        return "loyal"
    if r >= 4 and f == 1:
        return "new_customers"
    if r >= 4:
        return "potential_loyalists"
    if r == 1 and f <= 2:
        return "lost"
    if r <= 2:
        return "hibernating"
    return "need_attention"


def score_members(
    figures: Sequence[MemberFigures], *, margin: Decimal, top_share: Decimal = Decimal("0.2")
) -> list[MemberScore]:
    """RFM scores, segment, contribution and value class of each member (in input order).

    :param margin: the share of net spend kept as gross margin (0.25 = 25 %).
    :param top_share: the share of members (by contribution, rounded up) that are ``most_valuable``.
    """
    if not figures:
        return []
    r = quantile_scores([x.recency_days for x in figures], higher_is_better=False)
    f = quantile_scores([x.frequency for x in figures])
    m = quantile_scores([x.monetary for x in figures])
    contrib = [(x.monetary * margin - x.rewards_cost).quantize(Decimal("0.01")) for x in figures]
    positive = sorted((c for c in contrib if c >= 0), reverse=True)
    top_n = math.ceil(len(positive) * top_share) if positive else 0
    cutoff = positive[top_n - 1] if top_n else None
    out = []
    for i, x in enumerate(figures):
        c = contrib[i]
        if c < 0:
            klass = "below_zero"
        elif cutoff is not None and c >= cutoff and c > 0:
            klass = "most_valuable"
        elif r[i] >= 4 and f[i] >= 3:
            klass = "most_potential"
        else:
            klass = "intermediate"
        out.append(MemberScore(x.member_id, r[i], f[i], m[i], rfm_segment(r[i], f[i]), c, klass))
    return out


def member_segment_names(row: Any) -> tuple[str, ...]:
    """The ``audience.segments`` names a member belongs to (from a ``MemberSegment`` row)."""
    return (segment_name(RFM, row.rfm_segment), segment_name(VALUE, row.value_class))
