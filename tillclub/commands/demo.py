"""``tillclub demo``: the one-command demo (server, agent, simulated POS, scanner, printer)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="demo")
@click.option(
    "--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"), show_default=True,
    help="Where the demo keeps its databases, logs and receipts (emptied first).",
)  # fmt: skip
@click.option("--exit", "exit_at_end", is_flag=True, help="Stop at the end instead of serving.")
def command(folder: Path, exit_at_end: bool) -> None:
    """Run the demo on SQLite: a small chain, a till with a scanner and a printer, a shift.

    Starts the server, seeds 2 stores, 300 products and 1,000 members with campaigns, enrols a
    terminal, starts an agent with a virtual serial scanner and a socket printer, then runs a
    scripted shift through the simulated POS (card, phone QR, CPF, anonymous, voucher, points,
    refund, the server going down and coming back). Keeps everything running until Ctrl-C.
    """
    from tillclub.demo.runner import run_demo

    raise SystemExit(run_demo(folder.resolve(), exit_at_end, click.echo))
