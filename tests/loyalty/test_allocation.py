"""Largest-remainder allocation: the parts always add up to the whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.allocation import allocate
from loyalty.money import Money


def test_splits_ten_reais_in_three() -> None:
    """R$ 10,00 over three equal lines.

    =====  ===========  =====  =========  ======
    line   exact share  floor  remainder  part
    =====  ===========  =====  =========  ======
    1      333.33…      333    .33…       3,34  (ties: earlier line gets the cent)
    2      333.33…      333    .33…       3,33
    3      333.33…      333    .33…       3,33
    =====  ===========  =====  =========  ======
    """
    assert allocate(Money("10.00"), [1, 1, 1]) == [Money("3.34"), Money("3.33"), Money("3.33")]


def test_largest_remainder_wins_the_cent() -> None:
    """R$ 1,00 over weights 10, 20, 30 (cents 16.67, 33.33, 50): first line has .67."""
    assert allocate(Money("1.00"), [10, 20, 30]) == [Money("0.17"), Money("0.33"), Money("0.50")]


def test_exact_ties_go_to_the_earlier_part() -> None:
    """R$ 1,98 over weights 0, 1, 5, 100, 3, 5 (sum 114), in cents:

    ======  =============  =====  =========  ====
    weight  exact share    floor  remainder  part
    ======  =============  =====  =========  ====
    0       0              0      0          0
    1       1.736… (33/19)   1    14/19      2   (largest remainder)
    5       8.684… (165/19)  8    13/19      9   (tie, earlier)
    100     173.684…         173  13/19      174 (tie, earlier)
    3       5.210…           5    4/19       5
    5       8.684… (165/19)  8    13/19      8   (tie, later: no cent left)
    ======  =============  =====  =========  ====

    A 28-digit Decimal remainder broke this exact tie the wrong way; fractions do not.
    """
    parts = allocate(Money.from_cents(198), [0, 1, 5, 100, 3, 5])
    assert [p.cents for p in parts] == [0, 2, 9, 174, 5, 8]


def test_negative_totals_and_zero_weights() -> None:
    assert allocate(Money("-1.00"), [1, 1, 1]) == [Money("-0.34"), Money("-0.33"), Money("-0.33")]
    assert allocate(Money("0.02"), [0, 0]) == [Money("0.01"), Money("0.01")]
    assert allocate(Money("0.05"), [Money("0"), Money("3.00")]) == [Money("0"), Money("0.05")]


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="no weights"):
        allocate(Money("1"), [])
    with pytest.raises(ValueError, match="must not be negative"):
        allocate(Money("1"), [1, -1])
    with pytest.raises(ValueError, match="whole cents"):
        allocate(Money("1.001"), [1])


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
)
def test_parts_sum_to_whole_and_stay_within_a_cent(total_cents: int, weights: list[int]) -> None:
    total = Money.from_cents(total_cents)
    parts = allocate(total, weights)
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = total.amount * weight / sum(effective)
        assert abs(part.amount - exact) < Decimal("0.01")
