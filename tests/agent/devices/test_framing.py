"""The framer cuts a scanner's byte stream into complete, partial and overflow reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.devices.errors import ScannerConfigError
from agent.devices.framing import Frame, Framer, Suffix


def test_cr_suffix_ends_each_code_even_across_chunks() -> None:
    framer = Framer(Suffix.CR, inter_char_timeout=0.1)
    assert framer.feed(b"2900", 0.0) == []
    assert framer.feed(b"00000420\rTC4", 0.01) == [Frame(b"290000000420", True)]
    assert framer.feed(b"2\r", 0.02) == [Frame(b"TC42", True)]
    assert framer.deadline is None


def test_bytes_without_suffix_become_a_partial_read_after_the_timeout() -> None:
    framer = Framer(Suffix.CR, inter_char_timeout=0.1)
    framer.feed(b"TC12345", 0.0)
    assert framer.poll(0.05) == []
    assert framer.poll(0.2) == [Frame(b"TC12345", False, "partial")]


def test_partial_read_is_never_glued_to_the_next_code() -> None:
    framer = Framer(Suffix.CR, inter_char_timeout=0.1)
    framer.feed(b"TC1", 0.0)
    assert framer.feed(b"TC42\r", 1.0) == [Frame(b"TC1", False, "partial"), Frame(b"TC42", True)]


def test_no_suffix_ends_a_code_by_silence() -> None:
    framer = Framer(Suffix.NONE, inter_char_timeout=0.05)
    framer.feed(b"TC4", 0.0)
    framer.feed(b"2", 0.01)
    assert framer.poll(0.04) == []
    assert framer.poll(0.07) == [Frame(b"TC42", True)]


@pytest.mark.parametrize(
    ("suffix", "stream"),
    [
        (Suffix.CRLF, b"TC42\r\nTC43\r\n"),
        (Suffix.CR, b"TC42\r\nTC43\r\n"),  # scanner set to CRLF, till to CR
        (Suffix.LF, b"TC42\r\nTC43\r\n"),  # scanner set to CRLF, till to LF
        (Suffix.CR, b"\r\rTC42\r\r\rTC43\r"),  # blank lines are no reads
    ],
)
def test_stray_line_ends_are_not_part_of_a_code(suffix: Suffix, stream: bytes) -> None:
    framer = Framer(suffix)
    assert framer.feed(stream, 0.0) == [Frame(b"TC42", True), Frame(b"TC43", True)]


def test_noise_longer_than_max_length_is_dropped_until_the_next_suffix() -> None:
    framer = Framer(Suffix.CR, max_length=8)
    frames = framer.feed(b"\xff" * 20, 0.0)
    assert frames == [Frame(b"\xff" * 8, False, "overflow")]
    assert framer.feed(b"\xfe" * 20 + b"\rTC42\r", 0.01) == [Frame(b"TC42", True)]


def test_overflow_without_suffix_ends_with_the_silence() -> None:
    framer = Framer(Suffix.NONE, inter_char_timeout=0.05, max_length=4)
    assert framer.feed(b"123456", 0.0) == [Frame(b"1234", False, "overflow")]
    assert framer.feed(b"789", 0.01) == []
    assert framer.poll(0.1) == []
    framer.feed(b"TC42", 0.2)
    assert framer.poll(0.3) == [Frame(b"TC42", True)]


def test_flush_on_unplug_makes_pending_bytes_partial() -> None:
    framer = Framer(Suffix.CRLF)
    framer.feed(b"2900000", 0.0)
    assert framer.flush() == [Frame(b"2900000", False, "partial")]
    assert framer.flush() == []


def test_suffix_parse_names_the_bad_value() -> None:
    assert Suffix.parse("CRLF") is Suffix.CRLF
    with pytest.raises(ScannerConfigError, match="'TAB'"):
        Suffix.parse("TAB")
    with pytest.raises(ScannerConfigError):
        Framer(inter_char_timeout=0)


codes = st.lists(
    st.text(alphabet="0123456789ABCTQ", min_size=1, max_size=20).map(str.encode),
    min_size=1,
    max_size=8,
)


@given(codes=codes, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_chunking_of_the_stream_gives_the_same_reads(
    codes: list[bytes], cuts: list[int]
) -> None:
    """However the OS splits the bytes into reads, the codes come out whole and in order."""
    stream = b"".join(code + b"\r\n" for code in codes)
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    framer = Framer(Suffix.CRLF, inter_char_timeout=1.0)
    frames: list[Frame] = []
    for i, (start, end) in enumerate(zip(points, points[1:], strict=False)):
        frames += framer.feed(stream[start:end], i * 0.001)
    assert frames == [Frame(code, True) for code in codes]
