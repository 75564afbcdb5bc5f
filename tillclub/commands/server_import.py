"""``tillclub server import members|cards|balances|sales FILE``: the importer from the CLI.

The same use case as the head-office "Importar" page (``server.services.imports``): with
``--dry-run`` it only says what it would do; otherwise it runs in resumable batches (run it
again after an interruption and it continues). ``--errors`` writes the rejected rows with
``linha`` and ``motivo``. Exit status: 0 when every row was taken, 1 when some were
rejected, 2 when the file itself was refused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

KINDS = ("members", "cards", "balances", "sales")


def _make(kind: str) -> click.Command:
    @click.command(kind, help=f"Import {kind} from a CSV file (columns: docs/import.md).")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Say what would happen; write nothing.")
    @click.option(
        "--on-duplicate",
        type=click.Choice(["merge", "report"]),
        default="report",
        show_default=True,
        help="A row naming a record already there (CPF, card, external id): merge or report it.",
    )
    @click.option(
        "--errors",
        "errors_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the rejected rows here (CSV, the original columns + linha + motivo).",
    )
    @click.option("--batch-size", type=click.IntRange(1, 100_000), default=5000, show_default=True)
    @click.option("--lang", type=click.Choice(["pt-BR", "en"]), default="pt-BR", show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON line.")
    @click.pass_context
    def command(
        ctx: click.Context,
        path: Path,
        dry_run: bool,
        on_duplicate: str,
        errors_path: Path | None,
        batch_size: int,
        lang: str,
        as_json: bool,
    ) -> None:
        _import(ctx, kind, path, dry_run, on_duplicate, errors_path, batch_size, lang, as_json)

    return command


def _import(
    ctx: click.Context,
    kind: str,
    path: Path,
    dry_run: bool,
    on_duplicate: str,
    errors_path: Path | None,
    batch_size: int,
    lang: str,
    as_json: bool,
) -> None:
    from server.services import imports
    from server.services.uow import SqlUnitOfWork

    from .server import _app

    app = _app(ctx)
    options = imports.options_for_app(
        app, on_duplicate=on_duplicate, batch_size=batch_size, actor="cli", file_name=path.name
    )
    uow = SqlUnitOfWork.for_app(app)
    cipher = app.extensions["tillclub.cpf"]
    try:
        if dry_run:
            report = imports.plan(uow, cipher, kind, path, options)
        else:
            report = imports.run(uow, cipher, kind, path, options, _progress())
    except imports.ImportFileError as exc:
        click.echo(f"error: {exc.text(lang)}", err=True)
        sys.exit(2)
    if errors_path is not None:
        imports.write_errors(report, errors_path, lang)
    _say(report, lang, as_json, errors_path)
    if report.rejected_count:
        sys.exit(1)


def _progress() -> Any:
    def show(p: Any) -> None:
        share = 100 * p.bytes_read / p.bytes_total if p.bytes_total else 100
        click.echo(f"  {share:5.1f}%  line {p.line}  {p.rows_read} rows", err=True)

    return show


def _say(report: Any, lang: str, as_json: bool, errors_path: Path | None) -> None:
    counts = report.counts()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "kind": report.kind.value,
                    "dry_run": report.dry_run,
                    "run_id": report.run_id,
                    "sha256": report.file_sha256,
                    "resumed_from": report.resumed_from,
                    **counts,
                }
            )
        )
        return
    pt = lang == "pt-BR"
    verb = (
        ("criaria", "atualizaria")
        if report.dry_run and pt
        else ("criados", "atualizados")
        if pt
        else (("would create", "would update") if report.dry_run else ("created", "updated"))
    )
    if pt:
        click.echo(
            f"{report.kind.value}: {counts['rows_read']} linhas lidas, {verb[0]} {counts['created']}, "
            f"{verb[1]} {counts['updated']}, sem mudança {counts['unchanged']}, "
            f"rejeitadas {counts['rejected']}"
        )
    else:
        click.echo(
            f"{report.kind.value}: {counts['rows_read']} rows read, {verb[0]} {counts['created']}, "
            f"{verb[1]} {counts['updated']}, unchanged {counts['unchanged']}, "
            f"rejected {counts['rejected']}"
        )
    for r in report.rejected[:20]:
        click.echo(f"  {'linha' if pt else 'line'} {r.line}: {r.text(lang)}")
    if report.rejected_count > 20:
        more = report.rejected_count - 20
        click.echo(
            f"  ... {more} {'mais' if pt else 'more'}"
            + (
                f" em {errors_path}"
                if pt and errors_path
                else f" in {errors_path}"
                if errors_path
                else ""
            )
        )


@click.group("import")
def import_group() -> None:
    """Import a chain's members, cards, opening balances or sales history (CSV)."""


for _kind in KINDS:
    import_group.add_command(_make(_kind))
