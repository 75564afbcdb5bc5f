"""Phone QR tokens: Ed25519-signed, short, verified offline with each failure told apart."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.identification import IdentificationError, Reason, mint_qr, verify_qr
from loyalty.identification.qr import QR_PREFIX

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def _mint(member: int = 1234, now: datetime = NOW, nonce: bytes = b"\x01" * 6) -> str:
    return mint_qr(KEY, member, now=now, nonce=nonce)


def test_round_trip_and_size() -> None:
    token = _mint()
    assert len(token) <= 120
    checked = verify_qr(token, KEY.public_key(), now=NOW)
    assert checked.member_id == 1234
    assert checked.expires_at == NOW + timedelta(minutes=5)


def test_expired() -> None:
    token = _mint()
    verify_qr(token, KEY.public_key(), now=NOW + timedelta(minutes=6))  # within the skew
    with pytest.raises(IdentificationError) as info:
        verify_qr(token, KEY.public_key(), now=NOW + timedelta(minutes=7))
    assert info.value.reason is Reason.QR_EXPIRED


def test_far_future_expiry_means_a_wrong_clock() -> None:
    token = _mint(now=NOW + timedelta(hours=3))
    with pytest.raises(IdentificationError) as info:
        verify_qr(token, KEY.public_key(), now=NOW)
    assert info.value.reason is Reason.QR_NOT_YET_VALID


def test_wrong_key() -> None:
    with pytest.raises(IdentificationError) as info:
        verify_qr(_mint(), OTHER_KEY.public_key(), now=NOW)
    assert info.value.reason is Reason.QR_WRONG_KEY


@pytest.mark.parametrize(
    "token", ["", "TC1.", "TC1.!!!!", "TC2." + "A" * 112, QR_PREFIX + "A" * 111, "hello"]
)
def test_malformed(token: str) -> None:
    with pytest.raises(IdentificationError) as info:
        verify_qr(token, KEY.public_key(), now=NOW)
    assert info.value.reason is Reason.QR_MALFORMED


def test_nonce_makes_codes_differ() -> None:
    assert _mint(nonce=b"\x01" * 6) != _mint(nonce=b"\x02" * 6)


@settings(max_examples=200)
@given(
    st.integers(min_value=1, max_value=2**63),
    st.binary(min_size=6, max_size=6),
    st.integers(min_value=2, max_value=83),
    st.integers(min_value=1, max_value=255),
)
def test_any_flipped_byte_fails(member: int, nonce: bytes, position: int, flip: int) -> None:
    """Flip any byte after the key id: the signature no longer verifies (tampered)."""
    token = _mint(member, nonce=nonce)
    assert verify_qr(token, KEY.public_key(), now=NOW).member_id == member
    raw = bytearray(base64.urlsafe_b64decode(token[len(QR_PREFIX) :] + "=="))
    raw[position] ^= flip
    forged = QR_PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(IdentificationError) as info:
        verify_qr(forged, KEY.public_key(), now=NOW)
    assert info.value.reason is Reason.QR_TAMPERED


@given(st.integers(min_value=0, max_value=1), st.integers(min_value=1, max_value=255))
def test_flipped_key_id_reads_as_wrong_key(position: int, flip: int) -> None:
    raw = bytearray(base64.urlsafe_b64decode(_mint()[len(QR_PREFIX) :] + "=="))
    raw[position] ^= flip
    forged = QR_PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(IdentificationError) as info:
        verify_qr(forged, KEY.public_key(), now=NOW)
    assert info.value.reason is Reason.QR_WRONG_KEY
