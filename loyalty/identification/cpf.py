"""CPF typed at the till: validation, the keyed hash the agent stores, and display masking.

The agent's cache never holds a CPF: it holds ``cpf_hash(cpf, chain_secret)``, an
HMAC-SHA256 that cannot be reversed by trying the ~10^9 valid CPFs without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from stdnum.br import cpf as _stdnum_cpf
from stdnum.exceptions import ValidationError

from .errors import IdentificationError, Reason

_TYPED = re.compile(r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$")


def looks_like_cpf(text: str) -> bool:
    """True for 11 digits, optionally punctuated as ``000.000.000-00``."""
    return bool(_TYPED.match(text))


def normalize_cpf(text: str) -> str:
    """The 11 digits of a valid CPF.

    >>> normalize_cpf("390.533.447-05")
    '39053344705'

    :raises IdentificationError: ``GARBAGE`` for the wrong shape, ``CPF_REPEATED_DIGITS`` for
        the eleven ``000…``–``999…`` numbers, ``CPF_INVALID`` for wrong check digits.
    """
    stripped = text.strip()
    if not looks_like_cpf(stripped):
        raise IdentificationError(Reason.GARBAGE, text)
    digits = stripped.replace(".", "").replace("-", "")
    if len(set(digits)) == 1:
        raise IdentificationError(Reason.CPF_REPEATED_DIGITS, mask_cpf(digits))
    try:
        _stdnum_cpf.validate(digits)
    except ValidationError:
        raise IdentificationError(Reason.CPF_INVALID, mask_cpf(digits)) from None
    return digits


def is_valid_cpf(text: str) -> bool:
    try:
        normalize_cpf(text)
    except IdentificationError:
        return False
    return True


def cpf_hash(cpf: str, secret: bytes) -> str:
    """The keyed hash (HMAC-SHA256, hex) stored and synced instead of the CPF.

    :raises IdentificationError: for an invalid CPF; ``ValueError`` for a short secret.
    """
    if len(secret) < 16:
        raise ValueError("the CPF hash secret must be at least 16 bytes")
    digits = normalize_cpf(cpf)
    return hmac.new(secret, digits.encode("ascii"), hashlib.sha256).hexdigest()


def mask_cpf(cpf: str) -> str:
    """Mask a CPF for display, as LGPD practice does: ``***.456.789-**``.

    Works on any 11-digit string (valid or not), so error messages never echo a whole CPF.
    """
    digits = re.sub(r"\D", "", cpf)
    if len(digits) != 11:
        return "***.***.***-**"
    return f"***.{digits[3:6]}.{digits[6:9]}-**"
