"""Every read goes through identification; bad reads are rejected with a clear reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.devices.framing import Frame
from agent.devices.reads import Accepted, Rejected, ScanSource, interpret
from loyalty.identification import IdentificationConfig, card_number

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONFIG = IdentificationConfig()
VALID_CPF = "39053344705"


def test_complete_card_read_is_accepted() -> None:
    result = interpret(Frame(card_number(42).encode(), True), ScanSource.SERIAL, CONFIG, NOW)
    assert isinstance(result, Accepted)
    assert result.identification.kind == "card"
    assert result.identification.member_number == 42  # type: ignore[union-attr]


def test_partial_read_of_a_valid_code_is_still_rejected() -> None:
    """A cut-off ``TC12345`` reads ``TC123``: a real member number, but not this shopper."""
    seen: list[str] = []

    def spy(raw: str, config: IdentificationConfig, now: datetime) -> Accepted:
        seen.append(raw)
        raise AssertionError("a partial read must not be identified")

    result = interpret(
        Frame(b"TC123", False, "partial"), ScanSource.SERIAL, CONFIG, NOW, identify_fn=spy
    )
    assert isinstance(result, Rejected)
    assert result.reason == "partial"
    assert "incompleta" in result.message_pt
    assert seen == []


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (Frame(b"\xff\xfe\x80abc", True), "line_noise"),
        (Frame(b"x" * 600, False, "overflow"), "overflow"),
        (Frame(b"%$#@!", True), "garbage"),
        (Frame(b"7891000100103", True), "not_member_code"),  # a product EAN-13
        (Frame(b"2900000004201", True), "bad_check_digit"),
        (Frame(b"\x02\x03", True), "empty"),
    ],
)
def test_bad_reads_get_a_reason_and_bilingual_message(frame: Frame, reason: str) -> None:
    result = interpret(frame, ScanSource.SERIAL, CONFIG, NOW)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.message_pt
    assert result.message_en
    assert result.message("en") == result.message_en


def test_a_scanned_cpf_is_refused_but_a_typed_one_is_accepted() -> None:
    scanned = interpret(VALID_CPF, ScanSource.SERIAL, CONFIG, NOW)
    assert isinstance(scanned, Rejected)
    assert scanned.reason == "wrong_source_cpf"
    typed = interpret(VALID_CPF, ScanSource.WEDGE_TYPED, CONFIG, NOW)
    assert isinstance(typed, Accepted)
    assert typed.identification.kind == "cpf"


def test_rejected_messages_never_echo_a_whole_cpf() -> None:
    result = interpret("39053344700", ScanSource.WEDGE_TYPED, CONFIG, NOW)
    assert isinstance(result, Rejected)
    assert result.reason == "cpf_invalid"
    assert "39053344700" not in result.message_pt + result.message_en
