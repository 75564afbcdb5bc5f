"""Printed member cards as Code 128: ``TC`` followed by the member number."""

from __future__ import annotations

from .errors import IdentificationError, Reason

CODE128_PREFIX = "TC"
MAX_DIGITS = 18


def card_code128(member_number: int) -> str:
    """The Code 128 text printed on the card of ``member_number``.

    >>> card_code128(42)
    'TC42'
    """
    if isinstance(member_number, bool) or not isinstance(member_number, int):
        raise TypeError(f"member number must be int, not {type(member_number).__name__}")
    if not 0 < member_number < 10**MAX_DIGITS:
        raise ValueError(f"member number {member_number} out of range")
    return f"{CODE128_PREFIX}{member_number}"


def is_code128_card(code: str) -> bool:
    return code.upper().startswith(CODE128_PREFIX) and code[2:].isdigit()


def parse_card_code128(code: str) -> int:
    """The member number in ``TC<digits>``.

    :raises IdentificationError: ``GARBAGE`` for anything else.
    """
    digits = code[2:]
    if not is_code128_card(code) or not 0 < len(digits) <= MAX_DIGITS or int(digits) == 0:
        raise IdentificationError(Reason.GARBAGE, code)
    return int(digits)
