"""Voucher codes: unguessable, easy to read aloud and type, with a check character.

A code is 12 random characters (60 bits) from a 32-character alphabet without ``0 O 1 I``, plus
one Luhn mod 32 check character, which catches every single mistyped character and most swaps
of two adjacent characters. It is printed
as ``ABCD-EFGH-JKLM-N`` for people and without dashes in the Code 128 / QR barcode (the
alphabet is in QR's alphanumeric mode). The random bytes are passed in: the adapter calls
``secrets.token_bytes``.
"""

from __future__ import annotations

from typing import Final

from .errors import InvalidVoucherCode

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BODY_LENGTH: Final = 12
RANDOM_BYTES: Final = 8  # 64 bits in, the first 60 used
_N = len(ALPHABET)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (characters of :data:`ALPHABET`)."""
    total = 0
    factor = 2
    for c in reversed(body):
        addend = factor * _VALUE[c]
        total += addend // _N + addend % _N
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_N - total % _N) % _N]


def make_voucher_code(random_bytes: bytes) -> str:
    """A new code from at least 8 random bytes (only the first 60 bits are used).

    >>> make_voucher_code(bytes(8))
    '2222222222222'
    """
    if not isinstance(random_bytes, bytes) or len(random_bytes) < RANDOM_BYTES:
        raise ValueError(f"need at least {RANDOM_BYTES} random bytes, got {random_bytes!r}")
    value = int.from_bytes(random_bytes[:RANDOM_BYTES], "big") >> 4
    body = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(BODY_LENGTH)))
    return body + check_character(body)


def normalize_code(text: str) -> str:
    """The canonical code for what a cashier typed or a scanner sent.

    Case, spaces and dashes are ignored.

    :raises InvalidVoucherCode: for a wrong length, a character outside the alphabet, or a
        wrong check character (a typo).
    """
    if not isinstance(text, str):
        raise InvalidVoucherCode(f"voucher code must be text: {text!r}")
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != BODY_LENGTH + 1:
        raise InvalidVoucherCode(
            f"a voucher code has {BODY_LENGTH + 1} characters: {text!r}",
            f"o código do cupom tem {BODY_LENGTH + 1} caracteres: {text!r}",
        )
    bad = [c for c in code if c not in _VALUE]
    if bad:
        raise InvalidVoucherCode(
            f"character {bad[0]!r} is not used in voucher codes (no 0, O, 1 or I): {text!r}",
            f"o caractere {bad[0]!r} não existe em códigos de cupom (sem 0, O, 1 ou I): {text!r}",
        )
    if check_character(code[:-1]) != code[-1]:
        raise InvalidVoucherCode(
            f"voucher code {text!r} has a typo (check character does not match)",
            f"o código do cupom {text!r} tem um erro de digitação (dígito verificador)",
        )
    return code


def format_code(code: str) -> str:
    """Groups of four for print and screen: ``ABCD-EFGH-JKLM-N``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
