"""``tillclub demo``: the one-command demo (server, agent, simulated POS, scanner, printer).

Not built yet: it needs the edge agent and the POS plugins. Until then it says what it will do
and exits non-zero, so nobody mistakes the plan for the demo.
"""

from __future__ import annotations

import click

PLAN = """\
tillclub demo is not built yet. When it is, this command will, on SQLite:
  1. start the central server and seed a small chain (2 stores, a few hundred products,
     1,000 members, club prices, "leve 3 pague 2", a basket threshold, a personalised offer,
     points, cashback and a raffle campaign);
  2. enrol a terminal and start an agent with a socket printer and a virtual serial scanner;
  3. run a scripted shift through the simulated POS: card, phone QR and CPF identification,
     an anonymous sale, a voucher, a points redemption, a refund, the server going down and
     sales going on offline, then the queue draining when it returns;
  4. print where the receipts are and the admin UI and portal URLs.
What works today: `tillclub code`, `tillclub keys` (see README)."""


@click.command(name="demo")
@click.option("--exit", "exit_at_end", is_flag=True, help="Stop at the end instead of serving.")
def command(exit_at_end: bool) -> None:
    """Run the demo (not built yet: prints the plan and exits 1)."""
    click.echo(PLAN, err=True)
    raise SystemExit(1)
