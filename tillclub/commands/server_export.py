"""``tillclub server export --out FILE.zip``: the chain's full export (docs/export.md).

The same use case as the admin UI's Exportar page (``server.services.exports``), run in this
process: CSV and Parquet of every table in one zip, read from one snapshot, audited as
``export.full`` with the actor ``cli``. Prints one JSON line: the file, its SHA-256, its size
and the rows per table.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The archive to write (.zip); replaced if it exists.",
)
@click.option(
    "--without-cpf",
    is_flag=True,
    help="Leave the CPF column empty (a copy for analysts; an import then matches by id only).",
)
@click.option("--progress", is_flag=True, help="Print each table's progress to stderr.")
@click.pass_context
def export(ctx: click.Context, out: Path, without_cpf: bool, progress: bool) -> None:
    """Export members, cards, consents, balances, ledger, vouchers, sales and campaigns."""
    from server.services.exports import export_chain

    from .server_jobs import _app

    app = _app(ctx)

    def report(table: str, rows: int) -> None:
        click.echo(f"{table}: {rows} rows", err=True)

    try:
        result = export_chain(
            app, out, actor_type="cli", actor_id="cli", with_cpf=not without_cpf,
            progress=report if progress else None,
        )  # fmt: skip
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(
        json.dumps(
            {
                "file": str(result.path),
                "sha256": result.sha256,
                "size": result.size,
                "cpf": result.cpf,
                "rows": result.rows,
                "notes": result.notes,
            },
            ensure_ascii=False,
        )  # fmt: skip
    )
