"""Template data builders: mask what identifies a shopper before anything reaches paper.

A slip is read over the counter and thrown away in the bin, so it never carries a full CPF,
a full card number or a full name (LGPD practice, as on NFC-e receipts): the name becomes
``Maria S.``, the card ``**** 0420``, the CPF ``***.456.789-**``. The agent builds each
template's data through these functions; ``templates.render_template`` refuses member fields
that still hold a long run of digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loyalty.identification import mask_card as _mask_card
from loyalty.identification import mask_cpf

_PARTICLES = {"da", "de", "do", "das", "dos", "e"}


def mask_name(full_name: str) -> str:
    """First name and the initial of the last name: ``Maria da Conceição Silva`` → ``Maria S.``.

    >>> mask_name("  maria da conceição silva ")
    'Maria S.'
    """
    parts = [p for p in full_name.split() if p.lower() not in _PARTICLES]
    if not parts:
        return ""
    first = parts[0].capitalize()
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


def mask_card(card_number: str) -> str:
    """Only the last four characters of the card: ``2900000004206`` → ``**** 4206``
    (:func:`loyalty.identification.mask_card`, the one rule)."""
    return _mask_card(card_number)


def member_data(name: str = "", card: str | None = None, cpf: str | None = None) -> dict[str, str]:
    """The ``member`` table every template prints, masked."""
    out = {"name": mask_name(name)}
    if card:
        out["card"] = mask_card(card)
    if cpf:
        out["cpf"] = mask_cpf(cpf)
    return out


def slip_data(
    *,
    store: Mapping[str, Any],
    sale: Mapping[str, Any],
    member: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    points_earned: int,
    points_balance: int,
    cashback_earned: Any = None,
    cashback_balance: Any = None,
    total_discount: Any = None,
    raffle_numbers: Mapping[str, Sequence[str | None]] | None = None,
) -> dict[str, Any]:
    """Data for ``loyalty_slip``.

    :param member: ``{"name", "card", "cpf"}`` in full; masked here.
    :param lines: ``[{"description", "discounts": [{"rule", "name", "amount"}]}]``; only the
        lines that got a discount are kept.
    :param raffle_numbers: ``{campaign: [number or None]}`` as the till issued them; ``None``
        is a ticket the till ran out of numbers for (the server numbers it later).
    """
    return {
        "store": dict(store),
        "sale": dict(sale),
        "member": member_data(member.get("name", ""), member.get("card"), member.get("cpf")),
        "lines": [dict(line) for line in lines if line.get("discounts")],
        "total_discount": total_discount,
        "points": {"earned": points_earned, "balance": points_balance},
        "cashback": (
            {"earned": cashback_earned, "balance": cashback_balance}
            if cashback_earned is not None or cashback_balance is not None
            else None
        ),
        "raffle": [
            {
                "campaign": campaign,
                "numbers": ", ".join(n for n in numbers if n is not None),
                "owed": sum(1 for n in numbers if n is None),
            }
            for campaign, numbers in sorted((raffle_numbers or {}).items())
            if numbers
        ],
    }


def with_member(data: Mapping[str, Any], member: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (voucher, raffle, coupon) with the member table masked from full values."""
    masked = member_data(member.get("name", ""), member.get("card"), member.get("cpf"))
    return {**data, "member": masked}
