"""The ``tillclub`` command: a click group whose subcommands load lazily.

Each subcommand lives in ``tillclub/commands/<module>.py`` and exports ``command``; loading
them on demand keeps ``tillclub code check`` at the till from importing Flask or SQLAlchemy.
"""

from __future__ import annotations

import importlib

import click

# subcommand name -> (module under tillclub.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "code": ("code", "Check member codes (card, phone QR, CPF) and make card numbers."),
    "keys": ("keys", "Generate the Ed25519 key pair that signs phone QR codes."),
    "price": ("price", "Price a basket against a campaign file and print the result as JSON."),
    "server": ("server", "Run and administer the central server."),
    "agent": ("agent", "Run and administer the edge agent at a till."),
    "demo": ("demo", "Run the demo: server, agent, simulated POS, scanner and printer."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _ = SUBCOMMANDS[cmd_name]
        try:
            module = importlib.import_module(f"tillclub.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tillclub.commands.{module_name}":
                raise
            return _not_yet(cmd_name)
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _not_yet(name: str) -> click.Command:
    @click.command(name=name, help=f"{SUBCOMMANDS[name][1]} (not built yet)")
    def missing() -> None:
        raise click.ClickException(f"'tillclub {name}' is not built yet in this version.")

    return missing


@click.group(cls=LazyGroup)
@click.version_option(package_name="tillclub")
def main() -> None:
    """tillclub: loyalty for physical shops, at the till and at head office."""


if __name__ == "__main__":
    main()
