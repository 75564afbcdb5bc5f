"""Shopper passwords: argon2id hashes, the strength rule, and a constant-cost miss.

The hasher uses argon2-cffi's defaults (RFC 9106 low-memory profile). A sign-in for an
unknown account still verifies against a fixed dummy hash, so the response time does not tell
whether a CPF or e-mail has an account.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import PortalError

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("tillclub-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored``; spends the same work when ``stored`` is None."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_new_password(password: str, confirm: str, *, avoid: tuple[str | None, ...] = ()) -> None:
    """Refuse a new password that is too short or long, mistyped, or one of the shopper's ids.

    :raises PortalError: naming what is wrong (never echoing the password).
    """
    if password != confirm:
        raise PortalError(
            "password_mismatch",
            "the two passwords differ",
            "as duas senhas são diferentes",
            "password",
        )
    if len(password) < MIN_LENGTH:
        raise PortalError(
            "password_short",
            f"the password must have at least {MIN_LENGTH} characters (it has {len(password)})",
            f"a senha deve ter pelo menos {MIN_LENGTH} caracteres (tem {len(password)})",
            "password",
        )
    if len(password) > MAX_LENGTH:
        raise PortalError(
            "password_long",
            f"the password may have at most {MAX_LENGTH} characters",
            f"a senha pode ter no máximo {MAX_LENGTH} caracteres",
            "password",
        )
    digits = "".join(ch for ch in password if ch.isdigit())
    for value in avoid:
        if value and (
            password.lower() == value.lower() or (len(digits) == len(password) and digits == value)
        ):
            raise PortalError(
                "password_guessable",
                "the password must not be your CPF, e-mail or phone",
                "a senha não pode ser seu CPF, e-mail ou telefone",
                "password",
            )
