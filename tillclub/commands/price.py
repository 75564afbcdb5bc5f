"""``tillclub price``: price a basket file against a campaign file and print the result as JSON.

Bad input (a malformed or unknown rule, a negative price, a bad quantity, unreadable JSON) exits
with code 2 and a one-line message naming the rule or line and the field; never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from loyalty.errors import LoyaltyError
from loyalty.pricing import compile_rules, parse_basket, parse_member, price, result_to_json


class InputError(click.ClickException):
    exit_code = 2


def _load(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} file {str(path)!r}: cannot read it: {exc}") from None
    try:
        # Decimal, not float: R$ 0,10 must stay exactly 0.10 all the way to the result.
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} file {str(path)!r}: not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None


def _sale_time(text: str | None, zone: str) -> datetime:
    tz = ZoneInfo(zone)
    if text is None:
        return datetime.now(tz)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at: not an ISO-8601 date-time: {text!r}") from None
    # A time without an offset is the store's local time, as on the shelf label.
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


@click.command(name="price")
@click.option(
    "--rules",
    "rules_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Campaign file (JSON).",
)
@click.option(
    "--basket",
    "basket_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Basket file (JSON).",
)
@click.option(
    "--member",
    "member_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Member file (JSON); omit for an anonymous sale.",
)
@click.option(
    "--store",
    "store_id",
    default=None,
    help="Store id (rules limited to other stores do not fire).",
)
@click.option(
    "--at",
    "at_text",
    default=None,
    help="Sale time, ISO-8601; without an offset it is store local time. Default: now.",
)
@click.option(
    "--coupon", "coupons", multiple=True, help="A coupon code presented at the till (repeatable)."
)
@click.option(
    "--lang",
    type=click.Choice(["en", "pt-BR"]),
    default="en",
    show_default=True,
    help="Language of error messages.",
)
def command(
    rules_path: Path,
    basket_path: Path,
    member_path: Path | None,
    store_id: str | None,
    at_text: str | None,
    coupons: tuple[str, ...],
    lang: str,
) -> None:
    """Price a basket against a campaign file and print the result as JSON.

    Amounts are strings ("12.34"); every discount and reward names the rule that gave it.
    """
    try:
        ruleset = compile_rules(_load(rules_path, "rules"))
        basket = parse_basket(_load(basket_path, "basket"))
        member = parse_member(_load(member_path, "member")) if member_path else None
        at = _sale_time(at_text, ruleset.timezone_for(store_id))
        result = price(ruleset, basket, member, store_id, at, coupons=coupons)
    except LoyaltyError as exc:
        raise InputError(exc.message(lang)) from None
    click.echo(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))
    sys.stdout.flush()
