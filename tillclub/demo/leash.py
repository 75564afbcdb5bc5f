"""Run a command that dies with the demo: ``python -m tillclub.demo.leash PARENT_PID -- CMD…``.

The demo's children run in their own sessions (so Ctrl-C reaches the demo, which stops them in
order); a demo killed with SIGKILL could not stop them, and the server, agent and socat kept
running and holding their ports. Linux's ``PR_SET_PDEATHSIG`` asks the kernel to send SIGTERM
to the child when its parent dies, whatever killed it. Elsewhere the leash does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def leash(parent_pid: int) -> None:
    """Ask for SIGTERM when the parent dies; exit at once if it is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died between fork and prctl: then nobody would send the signal.
    if os.getppid() != parent_pid:
        sys.exit(0)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m tillclub.demo.leash PARENT_PID -- COMMAND [ARG...]")
    leash(int(argv[0]))
    command = argv[2:]
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
