"""Which card numbers the importer accepts: the chain's own cards and the old programme's.

- EAN-13 with the chain's prefix (``CARD_PREFIX``) and a right check digit;
- Code 128 ``TC<digits>`` (tillclub's own);
- a number starting with a prefix the chain declares for its old programme
  (``CARD_LEGACY_PREFIXES``): 4 to 32 letters or digits, kept exactly as printed, since old
  programmes differ in length and check digits. Eleven digits are refused: the till reads
  eleven typed digits as a CPF.
"""

from __future__ import annotations

from loyalty.identification import IdentificationError, parse_card_ean
from loyalty.identification.code128 import is_code128_card, parse_card_code128

from .errors import RowError
from .report import ImportOptions


def mask_card(number: str) -> str:
    return "..." + number[-4:]


def check_card(text: str, options: ImportOptions) -> str:
    """The card number as stored (spaces removed, Code 128 upper-cased).

    :raises RowError: ``bad_card``.
    """
    n = text.strip().replace(" ", "")
    if n.isdigit() and len(n) == 13 and n.startswith(options.card_prefix):
        try:
            parse_card_ean(n, options.card_prefix)
        except IdentificationError:
            raise RowError(
                "bad_card", "card {card}: wrong check digit", card=mask_card(n)
            ) from None
        return n
    if is_code128_card(n):
        try:
            parse_card_code128(n)
        except IdentificationError:
            raise RowError(
                "bad_card", "card {card} is not a card number", card=mask_card(n)
            ) from None
        return n.upper()
    for prefix in options.legacy_card_prefixes:
        if n.startswith(prefix) and n.isalnum() and 4 <= len(n) <= 32:
            if n.isdigit() and len(n) == 11:
                raise RowError(
                    "bad_card",
                    "card {card}: 11 digits are read as a CPF at the till",
                    card=mask_card(n),
                )
            return n
    raise RowError(
        "bad_card", "card {card} has no card prefix the chain declares", card=mask_card(n)
    )
