"""Secrets at rest: CPF encryption and lookup hash, terminal credentials and registration codes.

- CPF: AES-256-GCM with the chain's ``cpf_key``; the member id is bound as associated data,
  so a ciphertext copied onto another member's row does not decrypt. A keyed HMAC-SHA256
  (``loyalty.identification.cpf_hash``, the same the agents compute) serves lookups.
- Terminal credentials and registration codes are 128+ bits from ``secrets``; the server stores
  their SHA-256 only. A slow hash (argon2) buys nothing for random tokens of that size and
  would cost every API call; admin passwords, chosen by people, use argon2 instead.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from loyalty.identification import cpf_hash as _cpf_hash
from loyalty.identification import normalize_cpf

_CPF_FORMAT = b"\x01"  # version byte, room for key rotation
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by a person
CREDENTIAL_PREFIX = "tc1"


class CpfCipher:
    """Encrypts and decrypts 11-digit CPFs; computes their lookup hash."""

    def __init__(self, key: bytes, hash_secret: bytes) -> None:
        self._aead = AESGCM(key)
        self._hash_secret = hash_secret

    def encrypt(self, cpf: str, member_id: str) -> bytes:
        digits = normalize_cpf(cpf)
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, digits.encode("ascii"), member_id.encode())
        return _CPF_FORMAT + nonce + sealed

    def decrypt(self, blob: bytes, member_id: str) -> str:
        """:raises ValueError: wrong key, tampered blob or a blob of another member."""
        if blob[:1] != _CPF_FORMAT:
            raise ValueError("unknown CPF ciphertext format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], member_id.encode()).decode("ascii")
        except InvalidTag:
            raise ValueError("CPF ciphertext does not decrypt with this key") from None

    def lookup_hash(self, cpf: str) -> str:
        return _cpf_hash(cpf, self._hash_secret)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_registration_code() -> str:
    """A one-time code a person can type: ``XXXX-XXXX-XXXX-XXXX`` (80 bits)."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalize_registration_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class Credential:
    terminal_id: str
    secret: str

    def __str__(self) -> str:
        return f"{CREDENTIAL_PREFIX}.{self.terminal_id}.{self.secret}"


def new_credential(terminal_id: str) -> Credential:
    return Credential(terminal_id, secrets.token_urlsafe(32))


def parse_credential(text: str) -> Credential | None:
    """The terminal id and secret of ``tc1.<terminal>.<secret>``, or ``None`` if malformed."""
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != CREDENTIAL_PREFIX or not parts[1] or len(parts[2]) < 32:
        return None
    return Credential(parts[1], parts[2])


def credential_matches(credential: Credential, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(sha256_hex(credential.secret), stored_hash)
