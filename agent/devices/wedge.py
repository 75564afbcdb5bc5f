"""Keyboard-wedge scanners: tell a scanner's burst from a person typing, from key timings.

A wedge scanner "types" a whole code in a few milliseconds per key; a cashier typing a CPF on
the keypad needs 80–300 ms per key. The POS plugin passes the typed string and, when it can,
the time of each key press (milliseconds, any monotonic origin). The verdict limits which
member codes the read may be: a burst is never taken as a CPF (see ``reads.ALLOWED_KINDS``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from loyalty.identification import IdentificationConfig, identify

from .errors import WedgeTimingError
from .reads import IdentifyFn, ScanResult, ScanSource, interpret


@dataclass(frozen=True)
class WedgeConfig:
    """Thresholds of a scanner burst (milliseconds between key presses).

    :param burst_median_ms: the median gap of a burst is at most this.
    :param burst_max_gap_ms: no single gap in a burst is longer (USB HID hiccups stay below).
    :param min_length: shorter strings are never called a burst (too few gaps to judge).
    """

    burst_median_ms: float = 35.0
    burst_max_gap_ms: float = 150.0
    min_length: int = 4


def classify_keys(
    text: str, key_times_ms: Sequence[float] | None, config: WedgeConfig | None = None
) -> ScanSource:
    """``WEDGE_SCANNER`` for a fast burst, ``WEDGE_TYPED`` for a person, ``WEDGE_UNKNOWN``
    when no timings were given.

    :param key_times_ms: one time per character of ``text`` (optionally one more for the
        final Enter), non-decreasing.
    :raises WedgeTimingError: when the timings do not fit the text.
    """
    cfg = config or WedgeConfig()
    if key_times_ms is None:
        return ScanSource.WEDGE_UNKNOWN
    times = [float(t) for t in key_times_ms]
    if len(times) not in (len(text), len(text) + 1):
        raise WedgeTimingError(
            f"got {len(times)} key times for {len(text)} characters",
            f"recebidos {len(times)} tempos de tecla para {len(text)} caracteres",
        )
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    if any(gap < 0 for gap in gaps):
        raise WedgeTimingError(
            f"key times must not go backwards: {times!r}",
            f"tempos de tecla não podem voltar atrás: {times!r}",
        )
    if len(text) < cfg.min_length or not gaps:
        return ScanSource.WEDGE_TYPED
    if statistics.median(gaps) <= cfg.burst_median_ms and max(gaps) <= cfg.burst_max_gap_ms:
        return ScanSource.WEDGE_SCANNER
    return ScanSource.WEDGE_TYPED


def read_wedge(
    text: str,
    key_times_ms: Sequence[float] | None,
    identification: IdentificationConfig,
    now: datetime,
    *,
    config: WedgeConfig | None = None,
    identify_fn: IdentifyFn = identify,
) -> ScanResult:
    """Classify the keys, then identify the text (``Accepted`` or ``Rejected``).

    :raises WedgeTimingError: when the timings do not fit the text (a plugin bug).
    """
    source = classify_keys(text, key_times_ms, config)
    return interpret(text, source, identification, now, identify_fn=identify_fn)
