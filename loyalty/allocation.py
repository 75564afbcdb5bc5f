"""Largest-remainder allocation: split an amount over weights so the parts add up exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .money import CENT, Money, to_decimal


def allocate(total: Money, weights: Sequence[Decimal | int | Money]) -> list[Money]:
    """Split ``total`` (whole cents) over ``weights`` in proportion, exactly.

    Each part is first the exact share rounded down to the cent; the cents left over go one each
    to the parts with the largest remainders, ties to the earlier part. The parts sum to
    ``total`` and each differs from its exact share by less than one cent. A total of zero
    weight spreads evenly (as if every weight were 1).

    :param total: the amount to split; must be whole cents, may be negative.
    :param weights: non-negative weights (numbers or ``Money``).
    :raises ValueError: for no weights, a negative weight, or a total with fractions of a cent.
    """
    if not weights:
        raise ValueError("cannot allocate over no weights")
    w = [x.amount if isinstance(x, Money) else to_decimal(x, what="weight") for x in weights]
    if any(x < 0 for x in w):
        raise ValueError(f"weights must not be negative: {[str(x) for x in w]}")
    if total.amount != total.amount.quantize(CENT):
        raise ValueError(f"total must be whole cents: {total.amount}")
    if sum(w) == 0:
        w = [Decimal(1)] * len(w)
    negative = total.amount < 0
    cents = abs(total.cents)
    # Exact fractions: Decimal division rounds to 28 digits, which can break exact ties.
    exact = [Fraction(x) for x in w]
    weight_sum = sum(exact)
    shares = [cents * x / weight_sum for x in exact]
    floors = [math.floor(s) for s in shares]
    left = cents - sum(floors)
    # Sorted is stable, so among equal remainders the earlier part gets the cent.
    order = sorted(range(len(w)), key=lambda i: shares[i] - floors[i], reverse=True)
    for i in order[:left]:
        floors[i] += 1
    sign = -1 if negative else 1
    return [Money.from_cents(sign * c, total.currency) for c in floors]
