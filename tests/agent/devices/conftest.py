"""Fixtures for scanner tests: a real virtual serial pair made by socat, and a result sink."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.waiting import wait_for as shared_wait_for

SOCAT = shutil.which("socat") or "/usr/bin/socat"


class SocatPair:
    """Two linked ptys, ``a`` (the scanner's end, read by the agent) and ``b`` (we write).

    ``kill()`` is the USB cable pulled out: the ptys vanish. ``start()`` again is the cable
    plugged back in: same link names, new ptys.
    """

    def __init__(self, directory: Path) -> None:
        self.a = str(directory / "scanner")
        self.b = str(directory / "feeder")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                SOCAT,
                "-d",
                "-d",
                f"pty,raw,echo=0,link={self.a}",
                f"pty,raw,echo=0,link={self.b}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None
        deadline = time.monotonic() + 5
        while os.path.exists(self.a) and time.monotonic() < deadline:
            time.sleep(0.01)

    def write(self, data: bytes) -> None:
        """Write to the feeder end as a scanner would."""
        fd = os.open(self.b, os.O_WRONLY | os.O_NOCTTY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


@pytest.fixture
def socat_pair(tmp_path: Path) -> Iterator[SocatPair]:
    pair = SocatPair(tmp_path)
    pair.start()
    yield pair
    pair.kill()


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Device reads are fast: poll every 10 ms, fail after ``timeout`` seconds."""
    shared_wait_for(predicate, timeout, interval=0.01)
