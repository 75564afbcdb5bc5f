"""The engine's integer-cent arithmetic against exact ``Fraction`` references."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from loyalty.pricing.arith import mul_half_up, percent_of, ratio, split


def reference_split(total: int, weights: list[int]) -> list[int]:
    if sum(weights) == 0:
        weights = [1] * len(weights)
    exact = [Fraction(total * w, sum(weights)) for w in weights]
    parts = [math.floor(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


@given(st.integers(0, 100_000), st.lists(st.integers(0, 5_000), min_size=1, max_size=30))
def test_split_is_exact_largest_remainder_with_ties_to_the_earlier_part(
    total: int, weights: list[int]
) -> None:
    parts = split(total, weights)
    assert parts == reference_split(total, weights)
    assert sum(parts) == total


def test_split_worked_tie() -> None:
    """
    1.98 over weights 0, 1, 5, 100, 3, 5 (sum 114): exact shares 0, 1.74, 8.68, 173.68, 5.21,
    8.68; floors add to 195; the 3 cents left go to 1.74 and then to the earliest of the three
    exact ties at remainder 78/114 (parts 2 and 3), not to part 5.
    """
    assert split(198, [0, 1, 5, 100, 3, 5]) == [0, 2, 9, 174, 5, 8]


@given(st.integers(0, 10**9), st.decimals(min_value=0, max_value=100, places=3))
def test_percent_of_is_half_up(cents: int, percent: Decimal) -> None:
    expected = (Decimal(cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert percent_of(cents, ratio(percent)) == int(expected)


def test_half_up_worked_examples() -> None:
    """10 % of 9,99 = 0,999 → 1,00; 2,5 cents → 3; 1,235 kg × R$ 7,98 = 9,8553 → 9,86."""
    assert mul_half_up(999, 1, 10) == 100
    assert mul_half_up(5, 1, 2) == 3
    assert mul_half_up(798, 1235, 1000) == 986
