"""Backoff with full jitter: each wait is uniform in [0, min(cap, base * 2**n)]."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from agent.sync import Backoff


@given(st.integers(0, 2**32), st.floats(0.01, 5), st.floats(1, 600), st.integers(1, 40))
def test_waits_stay_within_the_growing_ceiling(seed: int, base: float, cap: float, n: int) -> None:
    b = Backoff(base=base, cap=cap, rng=random.Random(seed))
    for i in range(n):
        assert 0 <= b.next_delay() <= min(cap, base * 2**i)
    b.reset()
    assert b.next_delay() <= base


def test_jitter_spreads_tills_that_failed_together() -> None:
    delays = [
        Backoff(base=1, cap=300, failures=8, rng=random.Random(s)).next_delay() for s in range(200)
    ]
    assert max(delays) - min(delays) > 200  # not one synchronised wave
