"""The one entry point for what a scanner or keyboard delivered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from loyalty.identification import (
    CardRead,
    CpfRead,
    IdentificationConfig,
    IdentificationError,
    QrRead,
    Reason,
    card_number,
    identify,
    mint_qr,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CONFIG = IdentificationConfig(public_key=KEY.public_key())


@pytest.mark.parametrize(
    "raw", ["2900000000421", "2900000000421\r\n", "  ]E02900000000421\r", "\x022900000000421\x03"]
)
def test_ean_card_with_scanner_noise(raw: str) -> None:
    assert identify(raw, CONFIG, NOW) == CardRead(42, "ean13", "2900000000421")


@pytest.mark.parametrize("raw", ["TC42", "]C0TC42\n", "tc42", "]C1TC42"])
def test_code128_card(raw: str) -> None:
    assert identify(raw, CONFIG, NOW) == CardRead(42, "code128", "TC42")


def test_phone_qr_with_aim_prefix() -> None:
    token = mint_qr(KEY, 77, now=NOW, nonce=b"\x00" * 6)
    result = identify("]Q1" + token + "\r\n", CONFIG, NOW)
    assert isinstance(result, QrRead)
    assert result.member_id == 77


def test_qr_without_configured_key() -> None:
    token = mint_qr(KEY, 77, now=NOW, nonce=b"\x00" * 6)
    with pytest.raises(IdentificationError) as info:
        identify(token, IdentificationConfig(), NOW)
    assert info.value.reason is Reason.QR_NO_KEY


@pytest.mark.parametrize("raw", ["390.533.447-05", "39053344705", " 390.533.44705\n"])
def test_cpf_typed(raw: str) -> None:
    assert identify(raw, CONFIG, NOW) == CpfRead("39053344705")


def test_cpf_never_shows_in_repr() -> None:
    assert "39053344705" not in repr(identify("39053344705", CONFIG, NOW))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", Reason.EMPTY),
        ("\r\n", Reason.EMPTY),
        ("]E0", Reason.EMPTY),
        ("7891000100103", Reason.NOT_MEMBER_CODE),
        ("78910001", Reason.NOT_MEMBER_CODE),
        ("2000123012341", Reason.NOT_MEMBER_CODE),
        ("2900000000420", Reason.BAD_CHECK_DIGIT),
        ("290000000042", Reason.NOT_MEMBER_CODE),
        ("290000", Reason.GARBAGE),
        ("hello world", Reason.GARBAGE),
        ("111.111.111-11", Reason.CPF_REPEATED_DIGITS),
        ("390.533.447-06", Reason.CPF_INVALID),
        ("TC1.garbage", Reason.QR_MALFORMED),
        ("TC", Reason.GARBAGE),
    ],
)
def test_each_bad_read_has_its_reason_and_bilingual_message(raw: str, reason: Reason) -> None:
    with pytest.raises(IdentificationError) as info:
        identify(raw, CONFIG, NOW)
    assert info.value.reason is reason
    assert info.value.code == reason.value
    assert info.value.message_pt
    assert info.value.message_en
    assert info.value.message_pt != info.value.message_en


@given(st.text(max_size=60))
def test_anything_is_either_identified_or_refused_cleanly(raw: str) -> None:
    outcome: object
    try:
        outcome = identify(raw, CONFIG, NOW)
    except IdentificationError as exc:
        outcome = exc.reason
    assert isinstance(outcome, CardRead | QrRead | CpfRead | Reason)


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_every_card_scans_back_to_its_member(member: int) -> None:
    assert identify(card_number(member) + "\r", CONFIG, NOW) == CardRead(
        member, "ean13", card_number(member)
    )
