"""Usage limits and budgets: the till's view, and the server's overrun report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rewards.errors import InvalidConfig
from loyalty.rewards.limits import (
    LimitScope,
    LimitUnit,
    RuleUse,
    UsageLimit,
    counts,
    find_overruns,
    headroom,
    usage_key,
)

from .conftest import day

D1 = date(2025, 3, 2)
PER_DAY = UsageLimit("l-day", "r-1", LimitScope.MEMBER_DAY, LimitUnit.USES, Decimal(1))
BUDGET = UsageLimit("l-budget", "r-1", LimitScope.TOTAL, LimitUnit.BRL, Decimal("100.00"))
PER_STORE = UsageLimit("l-store", "r-1", LimitScope.STORE, LimitUnit.UNITS, Decimal(500))
CAMPAIGN = UsageLimit("l-camp", "r-1", LimitScope.MEMBER_CAMPAIGN, LimitUnit.USES, Decimal(3))


def use(
    uid: str, member: str | None, at: float, value: str = "10.00", store: str = "L1"
) -> RuleUse:
    return RuleUse(uid, "r-1", member, store, day(at), D1, Decimal(value))


def test_keys_per_scope() -> None:
    assert usage_key(PER_DAY, "m-1", "L1", D1) == "l-day|m-1|2025-03-02"
    assert usage_key(PER_DAY, None, "L1", D1) is None  # anonymous sale: no member limit
    assert usage_key(CAMPAIGN, "m-1", "L1", D1) == "l-camp|m-1"
    assert usage_key(PER_STORE, "m-1", "L1", D1) == "l-store|L1"
    assert usage_key(BUDGET, "m-1", "L1", D1) == "l-budget"


def test_the_till_counts_server_counts_plus_its_own_uses() -> None:
    """Budget R$ 100,00: the server counted R$ 85,00, this till gave R$ 10,00 offline:
    R$ 5,00 left. The member already used the once-a-day rule at this till: not allowed."""
    known = {"l-budget": Decimal("85.00")}
    h = headroom(
        [BUDGET],
        rule_id="r-1",
        member_id="m-1",
        store_id="L1",
        day=D1,
        known=known,
        local_uses=[use("u1", "m-2", 1)],
    )
    assert (h.allowed, h.left, h.binding) == (True, {"l-budget": Decimal("5.00")}, "l-budget")
    h = headroom(
        [PER_DAY, BUDGET],
        rule_id="r-1",
        member_id="m-1",
        store_id="L1",
        day=D1,
        known={},
        local_uses=[use("u1", "m-1", 1)],
    )
    assert (h.allowed, h.binding) == (False, "l-day")
    other_rule = headroom(
        [PER_DAY],
        rule_id="r-2",
        member_id="m-1",
        store_id="L1",
        day=D1,
        known={"l-day|m-1|2025-03-02": Decimal(5)},
    )
    assert other_rule.allowed
    assert other_rule.left == {}


def test_server_reports_offline_overruns_in_sale_order() -> None:
    """Two tills offline each gave the once-a-day rule to m-1; the later sale is the
    overrun. The budget of R$ 100,00 is passed by R$ 20,00 on the last sale."""
    uses = [use("u2", "m-1", 1.2, "60.00"), use("u1", "m-1", 1.1, "60.00")]
    found = find_overruns([PER_DAY, BUDGET], uses + uses)  # duplicates count once
    assert [(o.limit_id, o.use.use_id, o.total_after, o.excess) for o in found] == [
        ("l-day", "u2", Decimal(2), Decimal(1)),
        ("l-budget", "u2", Decimal("120.00"), Decimal("20.00")),
    ]
    assert counts([PER_DAY, BUDGET], uses) == {
        "l-day|m-1|2025-03-02": Decimal(2),
        "l-budget": Decimal("120.00"),
    }


@given(
    st.lists(st.tuples(st.sampled_from(["m-1", "m-2", None]), st.integers(1, 50)), max_size=30),
    st.integers(0, 10),
)
def test_overruns_add_up_to_what_passed_the_limit(
    raw: list[tuple[str | None, int]], maximum: int
) -> None:
    limit = UsageLimit("l", "r-1", LimitScope.TOTAL, LimitUnit.UNITS, Decimal(maximum))
    uses = [use(f"u{i:03d}", m, i / 100, str(v)) for i, (m, v) in enumerate(raw)]
    total = sum((u.value for u in uses), Decimal(0))
    excess = sum((o.excess for o in find_overruns([limit], uses)), Decimal(0))
    assert excess == max(total - maximum, Decimal(0))


def test_negative_maximum_is_refused() -> None:
    with pytest.raises(InvalidConfig, match="l-x"):
        UsageLimit("l-x", "r", LimitScope.TOTAL, LimitUnit.USES, Decimal(-1))
