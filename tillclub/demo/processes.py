"""The demo's child processes: the server, the agent and a virtual serial cable (socat)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

TILLCLUB = str(Path(sys.executable).parent / "tillclub")


class DemoError(RuntimeError):
    """A demo step failed; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.1)
    raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}")


class Child:
    """A child process whose output goes to a log file in the demo folder."""

    def __init__(self, name: str, argv: list[str], log: Path) -> None:
        self.name, self.argv, self.log = name, argv, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # On a leash: the child gets SIGTERM if the demo dies, even by SIGKILL (leash.py).
        leashed = [sys.executable, "-m", "tillclub.demo.leash", str(os.getpid()), "--", *self.argv]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                leashed, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def tillclub(*args: str, timeout: float = 120) -> str:
    """Run a ``tillclub`` subcommand to completion and return its stdout."""
    result = subprocess.run(
        [TILLCLUB, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise DemoError(f"tillclub {' '.join(args[:3])} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def serial_pair(folder: Path, log: Path) -> tuple[Child, Path, Path]:
    """A virtual null-modem cable: the agent's scanner port and the "scanner gun" end."""
    if shutil.which("socat") is None:
        raise DemoError("socat is not installed (apt-get install socat): no virtual scanner")
    agent_end, gun_end = folder / "scanner-agent", folder / "scanner-gun"
    child = Child(
        "socat",
        ["socat", "-d", "-d", f"pty,raw,echo=0,link={agent_end}", f"pty,raw,echo=0,link={gun_end}"],
        log,
    )
    child.start()
    wait_until(lambda: agent_end.exists() and gun_end.exists(), 10, "the virtual serial pair")
    return child, agent_end, gun_end
