"""Printed member cards as EAN-13: chain card prefix + member number + check digit.

GS1 keeps prefixes 20–29 for in-store use; supermarkets print scale labels (weighed goods)
in that range too, so only the configured card prefix makes a member code. Any other
EAN-13 is "not a member code", never a wrong member.
"""

from __future__ import annotations

from stdnum import ean as _ean

from .errors import IdentificationError, Reason

DEFAULT_CARD_PREFIX = "29"


def check_card_prefix(prefix: str) -> str:
    """Validate a chain card prefix: 2 or 3 digits, in GS1's restricted range 20–29.

    :raises ValueError: naming the prefix.
    """
    if not (isinstance(prefix, str) and prefix.isdigit() and 2 <= len(prefix) <= 3):
        raise ValueError(f"invalid card prefix {prefix!r}: must be 2 or 3 digits")
    if not prefix.startswith("2"):
        raise ValueError(f"invalid card prefix {prefix!r}: must be in GS1's range 20-29")
    return prefix


def member_number_digits(prefix: str = DEFAULT_CARD_PREFIX) -> int:
    """How many digits a member number has on an EAN-13 card with ``prefix``."""
    return 12 - len(check_card_prefix(prefix))


def card_number(member_number: int, prefix: str = DEFAULT_CARD_PREFIX) -> str:
    """The EAN-13 printed on the card of ``member_number``.

    >>> card_number(1)
    '2900000000018'

    :raises ValueError: for a negative number or one too long for the prefix.
    """
    if isinstance(member_number, bool) or not isinstance(member_number, int):
        raise TypeError(f"member number must be int, not {type(member_number).__name__}")
    width = member_number_digits(prefix)
    if not 0 < member_number < 10**width:
        raise ValueError(f"member number {member_number} does not fit {width} digits")
    body = f"{prefix}{member_number:0{width}d}"
    return body + _ean.calc_check_digit(body)


def parse_card_ean(code: str, prefix: str = DEFAULT_CARD_PREFIX) -> int:
    """The member number in a 13-digit code.

    :raises IdentificationError: ``NOT_MEMBER_CODE`` when the code lacks the card prefix (a
        product or a scale label), ``BAD_CHECK_DIGIT`` when it has the prefix but a wrong
        check digit, ``GARBAGE`` when it is not 13 digits.
    """
    if len(code) != 13 or not code.isdigit():
        raise IdentificationError(Reason.GARBAGE, code)
    if not code.startswith(prefix):
        raise IdentificationError(Reason.NOT_MEMBER_CODE, code)
    if _ean.calc_check_digit(code[:12]) != code[12]:
        raise IdentificationError(Reason.BAD_CHECK_DIGIT, code)
    number = int(code[len(prefix) : 12])
    if number == 0:
        raise IdentificationError(Reason.NOT_MEMBER_CODE, code)
    return number


def mask_card(number: str | None) -> str:
    """A card number as a till shows, prints or logs it: its last four characters only.

    The one masking rule of card numbers (slips, ``agent status``, POS answers, messages):
    ASCII, so every printer code page and log prints it.

    >>> mask_card("2900000004206")
    '**** 4206'
    >>> mask_card(" 2900 0000 0420 6 ")
    '**** 4206'
    >>> mask_card(None)
    ''
    """
    code = "".join((number or "").split())
    return f"**** {code[-4:]}" if code else ""
