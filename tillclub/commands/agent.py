"""``tillclub agent``: administer the edge agent at a till (printing commands for now).

``reprint SALE_ID --journal PATH`` queues the sale's slips again in the agent's journal (the
running agent prints them within a second; a stopped one when it starts).
``print-preview TEMPLATE --data JSON --out DIR`` writes the slip as text and PNG.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from loyalty.errors import LoyaltyError


@click.group(name="agent")
def command() -> None:
    """Run and administer the edge agent at a till."""
    from agent.printing.profiles import use_escpos_cache

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    use_escpos_cache(cache / "tillclub" / "escpos")


@command.command("reprint")
@click.argument("sale_id")
@click.option(
    "--journal",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agent's SQLite journal (where its print queue lives).",
)
@click.option("--lang", default="pt-BR", show_default=True, help="Language of messages.")
def reprint(sale_id: str, journal: Path, lang: str) -> None:
    """Print the slips of SALE_ID again (marked as a reprint)."""
    from agent.printing.queue import PrintQueue, ensure_schema

    if not journal.is_file():
        raise click.ClickException(f"journal not found: {journal}")
    # mode=rw: a mistyped path must not create an empty journal.
    conn = sqlite3.connect(f"file:{journal}?mode=rw", uri=True, timeout=10)
    try:
        ensure_schema(conn)
        ids = PrintQueue(conn).requeue(sale_id, datetime.now(UTC))
    except LoyaltyError as exc:
        raise click.ClickException(exc.message(lang)) from exc
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot use journal {journal}: {exc}") from exc
    finally:
        conn.close()
    click.echo(
        f"queued {len(ids)} slip(s) of sale {sale_id} for reprint (jobs {', '.join(map(str, ids))})"
    )


@command.command("print-preview")
@click.argument("template")
@click.option(
    "--data",
    "data_arg",
    required=True,
    help="Template data: a JSON file, '-' for stdin, or inline JSON.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for TEMPLATE-LANG.txt and TEMPLATE-LANG.png.",
)
@click.option("--lang", default="pt-BR", show_default=True, help="pt-BR or en.")
@click.option("--paper", type=click.Choice(["58", "80"]), default="80", show_default=True)
@click.option("--columns", type=int, default=None, help="32 (58 mm); 48 or 42 (80 mm).")
@click.option("--codepage", default="CP860", show_default=True)
@click.option(
    "--scale",
    type=click.IntRange(1, 4),
    default=1,
    show_default=True,
    help="Enlarge the PNG (nearest neighbour).",
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory of templates (default: the shipped printer_templates/).",
)
def print_preview(
    template: str,
    data_arg: str,
    out: Path,
    lang: str,
    paper: str,
    columns: int | None,
    codepage: str,
    scale: int,
    templates_dir: Path | None,
) -> None:
    """Render TEMPLATE with --data to plain text and PNG."""
    from PIL import Image

    from agent.printing.escpos_render import render
    from agent.printing.preview import to_png, to_text
    from agent.printing.profiles import profile_for
    from agent.printing.templates import TEMPLATES_DIR, normalize_lang, render_template

    data = _load_data(data_arg)
    try:
        lang = normalize_lang(lang)
        profile = profile_for(int(paper), columns, codepage=codepage.upper())
        document = render_template(template, data, lang, templates_dir or TEMPLATES_DIR)
        render(document, profile)  # what cannot print (a barcode too wide) fails here too
    except LoyaltyError as exc:
        raise click.ClickException(exc.message(lang if lang.startswith("pt") else "en")) from exc
    out.mkdir(parents=True, exist_ok=True)
    text_path = out / f"{template}-{lang}.txt"
    png_path = out / f"{template}-{lang}.png"
    text_path.write_text(to_text(document, profile), encoding="utf-8")
    image = to_png(document, profile)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    image.save(png_path, "PNG", optimize=True)
    click.echo(str(text_path))
    click.echo(str(png_path))


def _load_data(arg: str) -> dict[str, Any]:
    try:
        if arg == "-":
            raw = sys.stdin.read()
        elif arg.lstrip().startswith("{"):
            raw = arg
        else:
            raw = Path(arg).read_text(encoding="utf-8")
        data = json.loads(raw)
    except OSError as exc:
        raise click.ClickException(f"cannot read --data {arg}: {exc.strerror}") from exc
    except ValueError as exc:
        raise click.ClickException(f"--data is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException("--data must be a JSON object")
    return data


def _attach_agent_commands() -> None:
    from agent.cli_commands import COMMANDS

    for cmd in COMMANDS:
        command.add_command(cmd)


_attach_agent_commands()
