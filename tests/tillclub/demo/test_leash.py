"""The demo's children die with it: a demo killed with SIGKILL leaves no server, agent or socat
behind holding ports (real processes: a parent that starts a child, then SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import sys, time
from pathlib import Path
from tillclub.demo.processes import Child
child = Child("sleeper", ["sleep", "120"], Path(sys.argv[1]))
child.start()
print(child.proc.pid, flush=True)
time.sleep(120)
"""


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may be slow to reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_child_dies_when_the_demo_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "child.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    time.sleep(0.5)  # the leash has exec'd into `sleep`
    assert running(pid)
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(5)
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not running(pid), "the child outlived the demo"
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_leash_refuses_a_bad_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tillclub.demo.leash", "1"], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "usage" in result.stderr
