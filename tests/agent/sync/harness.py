"""Kill -9 harness: a running agent that finalises sales and prints each acknowledged one.

Run as ``python -m tests.agent.sync.harness CONFIG PREFIX COUNT [RETRY_POS]``. It starts the
agent (sync worker included), re-sends the finalise of ``RETRY_POS`` (what a POS does after
the agent died under it), then rings up ``COUNT`` sales, printing ``ACK <pos> <sale_id>``
only after ``finalise`` returned: the line the POS would have trusted. ``COUNT`` 0 means:
sell nothing, wait until the outbox is empty, print ``DRAINED``.

``--zygote`` keeps one process with everything imported and forks a fresh agent process per
line ``OUTFILE ARGS…`` read on stdin (answering ``PID n``, then ``EXIT n`` once it is gone),
so a test can kill hundreds of agents without paying Python's start-up each time. Each child
is a real process: SIGKILL ends it with no cleanup, as a power cut would.
"""

from __future__ import annotations

import sys
import time

from agent.config import load_config
from agent.sale import NoSuchSale
from agent.service import Agent
from loyalty.identification import card_number


def main(argv: list[str]) -> None:
    config, prefix, count = argv[0], argv[1], int(argv[2])
    agent = Agent(load_config(config))
    agent.start()
    out = sys.stdout
    if len(argv) > 3:
        try:
            answer = agent.sales.finalise(argv[3])
            out.write(f"ACK {argv[3]} {answer['sale_id']}\n")
        except NoSuchSale:
            out.write(f"LOST {argv[3]}\n")  # never recorded: the POS rings it up again
        out.flush()
    out.write("READY\n")
    out.flush()
    if count == 0:
        while agent.status()["queue"]["depth"]:
            time.sleep(0.05)
        out.write("DRAINED\n")
        out.flush()
        agent.stop()
        return
    for i in range(count):
        pos = f"{prefix}-{i}"
        out.write(f"BEGIN {pos}\n")
        out.flush()
        agent.sales.identify(pos, card_number(1 + i % 3))
        agent.sales.price(
            pos,
            [
                {"sku": "ARROZ", "qty": "1", "unit_price": "24.90"},
                {"sku": "X", "qty": "2", "unit_price": "5.00"},
            ],
        )
        answer = agent.sales.finalise(pos)
        out.write(f"ACK {pos} {answer['sale_id']}\n")
        out.flush()
    agent.stop()


def zygote() -> None:
    import os

    for request in sys.stdin:
        outfile, *args = request.split()
        pid = os.fork()
        if pid == 0:  # the child: a fresh agent writing to OUTFILE
            fd = os.open(outfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            sys.stdout = os.fdopen(1, "w", buffering=1)
            try:
                main(args)
            finally:
                sys.stdout.flush()
                os._exit(0)
        sys.stdout.write(f"PID {pid}\n")
        sys.stdout.flush()
        os.waitpid(pid, 0)
        sys.stdout.write(f"EXIT {pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--zygote"]:
        zygote()
    else:
        main(sys.argv[1:])
