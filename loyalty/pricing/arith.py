"""Integer-cent arithmetic for the engine: exact half-up rounding and largest-remainder splits.

The engine works in whole cents (``int``) between parsing and the result: integer maths is exact,
needs no ``Decimal`` context and is several times faster, which the till's latency budget needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def ratio(value: Decimal) -> tuple[int, int]:
    """``value`` as an exact fraction ``(numerator, denominator)``, denominator > 0."""
    return value.as_integer_ratio()


def mul_half_up(cents: int, num: int, den: int) -> int:
    """``cents × num / den`` rounded to the cent, halves away from zero (ROUND_HALF_UP).

    >>> mul_half_up(999, 1, 10)  # 10 % of R$ 9,99 = 0,999 -> 1,00
    100
    >>> mul_half_up(5, 1, 2)  # 2,5 cents -> 3 cents
    3
    """
    n = cents * num
    if n < 0:
        return -((-n * 2 + den) // (2 * den))
    return (n * 2 + den) // (2 * den)


def percent_of(cents: int, percent: tuple[int, int]) -> int:
    """``percent`` % of ``cents``, half-up; ``percent`` as from :func:`ratio`."""
    return mul_half_up(cents, percent[0], percent[1] * 100)


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents (≥ 0) over non-negative ``weights``: largest remainder, exact.

    The same rule as :func:`loyalty.allocation.allocate` (ties go to the earlier part; all-zero
    weights split evenly), on integers. The parts add up to ``total``.

    >>> split(100, [1, 1, 1])
    [34, 33, 33]
    """
    count = len(weights)
    if count == 0:
        raise ValueError("cannot split over no weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * count
        weight_sum = count
    # total × w is recomputed for the remainders rather than kept in a list: one list fewer
    # per split, and a sale splits each basket promotion over all of its lines.
    parts = [total * w // weight_sum for w in weights]
    left = total - sum(parts)
    if left:
        remainders = [total * w % weight_sum for w in weights]
        if left == 1:
            parts[remainders.index(max(remainders))] += 1  # index() finds the earliest tie
        else:
            # A reverse sort is still stable: among equal remainders the earlier part wins.
            for i in sorted(range(count), key=remainders.__getitem__, reverse=True)[:left]:
                parts[i] += 1
    return parts
