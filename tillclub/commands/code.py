"""``tillclub code``: check what a scanned or typed code is, and make card numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from loyalty.identification import (
    DEFAULT_CARD_PREFIX,
    CardRead,
    CpfRead,
    IdentificationConfig,
    IdentificationError,
    QrRead,
    card_code128,
    card_number,
    identify,
    load_public_key,
    mask_cpf,
)


@click.group(name="code")
def command() -> None:
    """Member codes: printed cards (EAN-13, Code 128), phone QR, CPF."""


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 date and time: {value!r}") from None
    if at.tzinfo is None:
        raise click.BadParameter(f"give a time zone, e.g. {value}-03:00 or {value}Z")
    return at


@command.command("check")
@click.argument("text")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the Ed25519 public key that verifies phone QR codes.",
)
@click.option(
    "--prefix",
    default=DEFAULT_CARD_PREFIX,
    show_default=True,
    help="The chain's card prefix (EAN-13, GS1 range 20-29).",
)
@click.option("--at", "at_text", metavar="ISO-8601", help="Check as of this time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--lang", type=click.Choice(["pt-BR", "en"]), default="pt-BR", show_default=True)
def check(
    text: str, public_key: Path | None, prefix: str, at_text: str | None, as_json: bool, lang: str
) -> None:
    """Say what TEXT is (card, phone QR or CPF); exit 1 with the reason when it is no member."""
    at = _parse_at(at_text)
    try:
        key = load_public_key(public_key.read_bytes()) if public_key else None
        config = IdentificationConfig(card_prefix=prefix, public_key=key)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        result = identify(text, config, at)
    except IdentificationError as exc:
        if as_json:
            payload = {"ok": False, "reason": exc.code, "message": exc.message(lang)}
            click.echo(json.dumps(payload, ensure_ascii=False))
        else:
            click.echo(exc.message(lang), err=True)
        raise SystemExit(1) from None
    data = _describe(result)
    if as_json:
        click.echo(json.dumps({"ok": True, **data}, ensure_ascii=False))
    else:
        click.echo(" ".join(f"{k}={v}" for k, v in data.items()))


def _describe(result: CardRead | QrRead | CpfRead) -> dict[str, object]:
    if isinstance(result, CardRead):
        return {
            "kind": "card",
            "symbology": result.symbology,
            "member_number": result.member_number,
        }
    if isinstance(result, QrRead):
        return {
            "kind": "qr",
            "member_id": result.member_id,
            "expires_at": result.expires_at.isoformat(),
        }
    # A CPF is shown masked, as on every screen: the person at the till already typed it.
    return {"kind": "cpf", "cpf": mask_cpf(result.cpf)}


@command.command("card-number")
@click.argument("member_no", type=int)
@click.option("--prefix", default=DEFAULT_CARD_PREFIX, show_default=True)
@click.option("--code128", is_flag=True, help="Print the Code 128 form (TC + number) instead.")
def card_number_cmd(member_no: int, prefix: str, code128: bool) -> None:
    """Print the EAN-13 (or Code 128) printed on the card of MEMBER_NO."""
    try:
        click.echo(card_code128(member_no) if code128 else card_number(member_no, prefix))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="MEMBER_NO") from None
