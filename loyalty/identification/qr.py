"""Phone QR codes: a short token signed by the server with Ed25519, verifiable offline.

Layout (84 bytes, base64url without padding, after the ``TC1.`` version prefix: 116 chars):

=====  ======  =============================================================
bytes  field   why
=====  ======  =============================================================
2      key id  first bytes of SHA-256 of the public key: tells a token of
               another key ("wrong key") from an altered one ("tampered")
8      member  member id, unsigned big-endian
4      expiry  Unix seconds, unsigned big-endian
6      nonce   random, so two codes for the same minute differ
64     sig     Ed25519 over the 20 bytes above and the version prefix
=====  ======  =============================================================

Minting needs the private key, which only the server holds; agents hold the public key, so a
stolen agent cannot mint codes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import IdentificationError, Reason

QR_PREFIX = "TC1."
DEFAULT_TTL = timedelta(minutes=5)
DEFAULT_SKEW = timedelta(seconds=90)
NONCE_BYTES = 6
_BODY = struct.Struct(">2sQI6s")
_SIG_BYTES = 64
_TOKEN_BYTES = _BODY.size + _SIG_BYTES


@dataclass(frozen=True)
class QrToken:
    """A verified phone QR: whose it is and until when it is good."""

    member_id: int
    expires_at: datetime
    nonce: bytes


def key_id(public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:2]


def mint_qr(
    private_key: Ed25519PrivateKey,
    member_id: int,
    *,
    now: datetime,
    nonce: bytes,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """Sign a QR token for ``member_id`` valid from ``now`` for ``ttl``.

    :param nonce: ``NONCE_BYTES`` random bytes (the caller draws them: the core has no RNG).
    :raises ValueError: for a bad member id, nonce, or a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 0 < member_id < 2**64:
        raise ValueError(f"member id out of range: {member_id}")
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} bytes, got {len(nonce)}")
    expires = int((now + ttl).timestamp())
    body = _BODY.pack(key_id(private_key.public_key()), member_id, expires, nonce)
    signature = private_key.sign(QR_PREFIX.encode() + body)
    return QR_PREFIX + base64.urlsafe_b64encode(body + signature).rstrip(b"=").decode()


def verify_qr(
    token: str,
    public_key: Ed25519PublicKey,
    *,
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
    max_ttl: timedelta = timedelta(hours=1),
) -> QrToken:
    """Check a QR token offline and return whose it is.

    :param skew: how far the till's clock may differ from the server's.
    :param max_ttl: an expiry further ahead than this (plus skew) is refused: such a token was
        not minted by a correctly configured server, or the till's clock is far behind.
    :raises IdentificationError: ``QR_MALFORMED``, ``QR_WRONG_KEY``, ``QR_TAMPERED``,
        ``QR_EXPIRED`` or ``QR_NOT_YET_VALID``, in that order of checking.
    """
    if not token.startswith(QR_PREFIX):
        raise IdentificationError(Reason.QR_MALFORMED, token)
    encoded = token[len(QR_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise IdentificationError(Reason.QR_MALFORMED, token) from None
    if len(raw) != _TOKEN_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != encoded:
        raise IdentificationError(Reason.QR_MALFORMED, token)
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    kid, member_id, expires, nonce = _BODY.unpack(body)
    if kid != key_id(public_key):
        raise IdentificationError(Reason.QR_WRONG_KEY, token)
    try:
        public_key.verify(signature, QR_PREFIX.encode() + body)
    except InvalidSignature:
        raise IdentificationError(Reason.QR_TAMPERED, token) from None
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now > expires_at + skew:
        raise IdentificationError(Reason.QR_EXPIRED, token)
    if expires_at - (now + skew) > max_ttl:
        raise IdentificationError(Reason.QR_NOT_YET_VALID, token)
    if member_id == 0:
        raise IdentificationError(Reason.QR_MALFORMED, token)
    return QrToken(member_id=member_id, expires_at=expires_at, nonce=nonce)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM. :raises ValueError: for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"not an Ed25519 public key: {type(key).__name__}")
    return key


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from PEM. :raises ValueError: for anything else."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"not an Ed25519 private key: {type(key).__name__}")
    return key
