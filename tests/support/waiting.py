"""Polling for something another thread or process does (a sync to land, a file to appear)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    cond: Callable[[], object], timeout: float = 20, interval: float = 0.05, what: str = ""
) -> None:
    """Poll ``cond`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return
        if time.monotonic() > deadline:
            suffix = f": {what}" if what else ""
            raise AssertionError(f"condition not met in {timeout:g} s{suffix}")
        time.sleep(interval)
