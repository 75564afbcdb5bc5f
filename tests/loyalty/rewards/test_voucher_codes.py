"""Voucher codes: 60 random bits, no 0/O/1/I, a check character that catches typos."""

from __future__ import annotations

import io

import barcode
import pytest
import qrcode
from barcode.writer import SVGWriter
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rewards import InvalidVoucherCode, make_voucher_code, normalize_code
from loyalty.rewards.voucher_codes import ALPHABET, BODY_LENGTH, check_character, format_code

random8 = st.binary(min_size=8, max_size=8)


def test_alphabet_has_no_lookalikes_and_60_bits() -> None:
    assert len(ALPHABET) == 32
    assert not set("0O1I") & set(ALPHABET)
    assert BODY_LENGTH * 5 >= 60


@given(random8)
def test_every_code_checks_and_survives_how_people_type_it(raw: bytes) -> None:
    code = make_voucher_code(raw)
    assert len(code) == 13
    assert set(code) <= set(ALPHABET)
    assert normalize_code(code) == code
    assert normalize_code(format_code(code).lower()) == code
    assert normalize_code(" " + format_code(code) + "\n") == code


@given(random8, st.data())
def test_any_one_character_changed_fails_the_check(raw: bytes, data: st.DataObject) -> None:
    code = make_voucher_code(raw)
    pos = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[pos]]))
    typo = code[:pos] + other + code[pos + 1 :]
    with pytest.raises(InvalidVoucherCode, match="typo"):
        normalize_code(typo)


def test_every_single_substitution_of_one_code_is_caught_exhaustively() -> None:
    code = make_voucher_code(bytes.fromhex("8f3a5c7e9b1d2f40"))
    for pos in range(len(code)):
        for other in ALPHABET:
            if other != code[pos]:
                with pytest.raises(InvalidVoucherCode):
                    normalize_code(code[:pos] + other + code[pos + 1 :])


def test_known_code_pins_the_algorithm() -> None:
    assert make_voucher_code(bytes.fromhex("0123456789abcdef")) == "26KNCTWBPH8YX"


def test_adjacent_swaps_are_caught_but_for_the_luhn_blind_pair() -> None:
    """Luhn mod 32, like Luhn mod 10 with 0 and 9, misses only the swap of the first and last
    characters of the alphabet ('2' and 'Z'): 990 of the 992 ordered pairs are caught."""
    caught = total = 0
    for a in ALPHABET:
        for b in ALPHABET:
            if a == b:
                continue
            body = "23456" + a + b + "789AB"
            code = body + check_character(body)
            total += 1
            try:
                normalize_code("23456" + b + a + "789AB" + code[-1])
            except InvalidVoucherCode:
                caught += 1
    assert (caught, total) == (990, 992)


def test_random_bits_all_reach_the_code() -> None:
    a = make_voucher_code(bytes.fromhex("0000000000000000"))
    b = make_voucher_code(bytes.fromhex("0000000000000010"))  # bit 4: the 60th used bit
    c = make_voucher_code(bytes.fromhex("8000000000000000"))  # the first bit
    assert len({a, b, c}) == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("ABC", "13 characters"), ("0" * 13, "'0'"), ("222222222222I", "'I'"), (None, "text")],
)
def test_garbage_is_refused_with_a_clear_message(text: object, fragment: str) -> None:
    with pytest.raises(InvalidVoucherCode, match=fragment):
        normalize_code(text)  # type: ignore[arg-type]


def test_too_few_random_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="8 random bytes"):
        make_voucher_code(b"1234567")


def test_printable_as_code128_and_qr_alphanumeric() -> None:
    code = make_voucher_code(bytes.fromhex("8f3a5c7e9b1d2f40"))
    svg = io.BytesIO()
    barcode.get("code128", code, writer=SVGWriter()).write(svg)
    assert b"<svg" in svg.getvalue()
    qr = qrcode.QRCode()
    qr.add_data(qrcode.util.QRData(code.encode(), mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)
    assert qr.version == 1
