"""Exponential backoff with full jitter: after the n-th failure wait uniform(0, min(cap, base·2ⁿ)).

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads the tills of a
chain that all lost the server at once, so they do not return in one synchronised wave.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 1.0
    cap: float = 300.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0
