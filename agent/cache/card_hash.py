"""Card numbers in the cache as a keyed hash: ``HMAC-SHA256(card key, number)``, never in clear.

A card lookup is an exact match, so the cache can key ``cards`` by the hash: the scanned
number (after its check digit passed) is hashed once and the index probed. The card key is
derived from the CPF hash secret the till receives at registration, under its own label
(domain separation: a card hash and a CPF hash of the same digits never collide, and neither
reveals the secret). A till that was never given that secret (a development set-up) makes a
random key of its own beside its credential, 0600. The server keeps sending card numbers:
the agent hashes on write (about a microsecond a card), so the feed and the server's key
handling do not change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from loyalty.identification import mask_card

LABEL = b"tillclub/agent/card-hash/v1"
LOCAL_KEY_FILE = "card-hash.secret"  # only when no CPF hash secret was delivered


@dataclass(frozen=True)
class CardHasher:
    """Hashes card numbers with one key; ``key_id`` names the key without revealing it."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("card key shorter than 16 bytes")
        # HMAC's inner and outer pads computed once; each hash copies them (half the cost).
        object.__setattr__(self, "_base", hmac.new(self.key, digestmod=hashlib.sha256))

    def __call__(self, number: str) -> bytes:
        """The 32-byte keyed hash of ``number`` as the cache stores it."""
        h = self._base.copy()  # type: ignore[attr-defined]
        h.update(number.encode("utf-8"))
        digest: bytes = h.digest()
        return digest

    @property
    def key_id(self) -> str:
        """Kept in the cache's meta: a cache hashed with another key is rebuilt."""
        return hmac.new(self.key, b"key id", hashlib.sha256).hexdigest()[:16]


def from_cpf_secret(secret: bytes) -> CardHasher:
    """The card key derived from the CPF hash secret under :data:`LABEL`."""
    return CardHasher(hmac.new(secret, LABEL, hashlib.sha256).digest())


def local_key(directory: Path) -> CardHasher:
    """A random key kept in ``directory/card-hash.secret`` (made 0600 on first use)."""
    path = Path(directory) / LOCAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return CardHasher(base64.b64decode(path.read_bytes().strip(), validate=True))


def mask(number: str | None) -> str:
    """A card as a till may show or log it: ``**** 1234``
    (:func:`loyalty.identification.mask_card`, the one rule)."""
    return mask_card(number)
