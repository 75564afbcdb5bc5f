"""The journal's keys: the card hash of ``local_members`` and the seal of personal payloads.

A journal file copied alone (a backup, a support upload, a disk image of the data folder)
must reveal no card number and no CPF. Two keys, both from the till's card key (the one the
cache hashes cards with, :mod:`agent.cache.card_hash`: derived from the chain's CPF hash
secret, else a random ``card-hash.secret`` beside the credential), so the key lives outside
the journal and no new secret has to be delivered or backed up:

- ``local_members`` is keyed by ``HMAC-SHA256(card key, number)``, the very hash the cache
  uses: a lookup hashes the scanned number once;
- the payload of an event that must carry personal data to the server (``enrolment``: the
  clear CPF, the pre-printed card, name, phone, e-mail, birth date) is sealed with AES-256-GCM
  under ``HMAC-SHA256(card key, "tillclub/agent/journal-seal/v1")``, bound to its event id
  (a sealed payload moved to another row does not open). The outbox keeps it sealed, and so
  does ``acked_events`` (the copy kept for a re-push after a server restore): the pusher
  opens it in memory just before sending.

Stored form of a sealed payload: ``0x06``, the key's 8-byte id, a 12-byte random nonce, the
AES-GCM ciphertext and tag of the payload's :func:`~agent.journal.answers.pack` form.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..cache.card_hash import CardHasher
from .answers import TAG_SEALED

SEAL_LABEL = b"tillclub/agent/journal-seal/v1"
SEALED = TAG_SEALED  # one tag table, in journal.answers
# Event types whose payload carries personal data the server needs in clear.
SEALED_TYPES = frozenset({"enrolment"})
_KID, _NONCE = 8, 12


class JournalKeyError(RuntimeError):
    """The journal holds what these keys cannot open, or was opened without its keys."""


class Sealer:
    """AES-256-GCM with one key; ``key_id`` (8 bytes) names it inside every sealed blob."""

    __slots__ = ("_aead", "key", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a journal seal key is 32 bytes")
        self.key = key
        self.key_id = hmac.new(key, b"key id", hashlib.sha256).digest()[:_KID]
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"Sealer(key_id={self.key_id.hex()})"

    def seal(self, packed: bytes, event_id: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return SEALED + self.key_id + nonce + self._aead.encrypt(nonce, packed, event_id.encode())

    def open(self, blob: bytes, event_id: str) -> bytes:
        """:raises JournalKeyError: the blob was altered or belongs to another row."""
        start = 1 + _KID
        nonce, body = blob[start : start + _NONCE], blob[start + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, event_id.encode())
        except InvalidTag:
            raise JournalKeyError(
                f"the sealed payload of event {event_id} does not open: altered, or moved "
                "from another row"
            ) from None


def sealer_for(card_hash: CardHasher) -> Sealer:
    """The seal key derived from the card key under :data:`SEAL_LABEL`."""
    return Sealer(hmac.new(card_hash.key, SEAL_LABEL, hashlib.sha256).digest())


class JournalKeys:
    """The till's journal keys: the current card key, and earlier ones still to be read.

    ``previous``: card keys this till used before (the random ``card-hash.secret`` of a till
    that was later given the chain's CPF hash secret); what they sealed is opened, re-sealed
    and re-hashed under the current key when the journal is opened (:mod:`agent.journal.protect`).
    """

    __slots__ = ("_sealers", "card_hash", "previous", "sealer")

    def __init__(self, card_hash: CardHasher, previous: tuple[CardHasher, ...] = ()) -> None:
        self.card_hash = card_hash
        self.previous = previous
        self.sealer = sealer_for(card_hash)
        earlier = [sealer_for(k) for k in previous]
        self._sealers = {s.key_id: s for s in [*reversed(earlier), self.sealer]}

    def __repr__(self) -> str:
        return f"JournalKeys(key_id={self.key_id}, previous={len(self.previous)})"

    @property
    def key_id(self) -> str:
        """Kept in the journal's ``sync_meta``: the key its rows are under."""
        return self.sealer.key_id.hex()

    def seal(self, packed: bytes, event_id: str) -> bytes:
        return self.sealer.seal(packed, event_id)

    def open(self, blob: bytes, event_id: str) -> bytes:
        """The packed payload of a sealed ``blob``.

        :raises JournalKeyError: sealed under a key this till does not have (the key file
            it was written with is gone), altered, or moved from another row.
        """
        sealer = self._sealers.get(blob[1 : 1 + _KID])
        if sealer is None:
            raise JournalKeyError(
                f"event {event_id} is sealed with journal key {key_id_of(blob)}, which this "
                "till does not have: restore the card-hash.secret or cpf-hash.secret it was "
                "written with"
            )
        return sealer.open(blob, event_id)


def is_sealed(blob: bytes) -> bool:
    return blob[:1] == SEALED


def key_id_of(blob: bytes) -> str:
    return blob[1 : 1 + _KID].hex()
