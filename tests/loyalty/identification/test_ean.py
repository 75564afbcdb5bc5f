"""Printed cards as EAN-13 with the chain's card prefix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.identification import IdentificationError, Reason, card_number, parse_card_ean
from loyalty.identification.ean import check_card_prefix

# Independent references: GS1's and Wikipedia's EAN-13 examples, python-stdnum's test data,
# and a Brazilian product code (prefix 789). None carries the card prefix: none is a member.
KNOWN_EANS = [
    ("4006381333931", "valid"),
    ("5901234123457", "valid"),
    ("7501031311309", "valid"),
    ("7891000100103", "valid"),
    ("7501031311308", "bad"),
    ("4006381333932", "bad"),
]


@pytest.mark.parametrize(("code", "verdict"), KNOWN_EANS)
def test_known_eans_are_never_members(code: str, verdict: str) -> None:
    from stdnum import ean

    assert ean.is_valid(code) is (verdict == "valid")
    with pytest.raises(IdentificationError) as info:
        parse_card_ean(code)
    assert info.value.reason is Reason.NOT_MEMBER_CODE


def test_card_number_worked_example() -> None:
    """29 + 0000000042 + check digit 1 (weights 1,3 from the left over the 12 digits)."""
    assert card_number(42) == "2900000000421"
    assert parse_card_ean("2900000000421") == 42


def test_scale_labels_are_not_members() -> None:
    """Weighed goods labels start with 2 too (here 20/21): never read as a member."""
    from stdnum import ean

    for body in ("200012301234", "210012300500"):
        label = body + ean.calc_check_digit(body)
        with pytest.raises(IdentificationError) as info:
            parse_card_ean(label)
        assert info.value.reason is Reason.NOT_MEMBER_CODE


def test_custom_prefix() -> None:
    code = card_number(7, prefix="271")
    assert code.startswith("271")
    assert len(code) == 13
    assert parse_card_ean(code, prefix="271") == 7
    with pytest.raises(IdentificationError):
        parse_card_ean(code)  # default prefix 29


@pytest.mark.parametrize("prefix", ["19", "3", "2a", "2999", "", "30"])
def test_prefix_outside_gs1_restricted_range_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match=repr(prefix)):
        check_card_prefix(prefix)


def test_out_of_range_member_numbers() -> None:
    with pytest.raises(ValueError, match="does not fit 10 digits"):
        card_number(10**10)
    with pytest.raises(ValueError, match="does not fit"):
        card_number(0)


@given(st.integers(min_value=1, max_value=10**10 - 1), st.integers(0, 12), st.integers(1, 9))
def test_every_single_digit_change_fails(member: int, position: int, delta: int) -> None:
    code = card_number(member)
    assert parse_card_ean(code) == member
    changed = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    with pytest.raises(IdentificationError) as info:
        parse_card_ean(changed)
    assert info.value.reason in {Reason.BAD_CHECK_DIGIT, Reason.NOT_MEMBER_CODE}


def test_a_card_is_shown_by_its_last_four_digits_only() -> None:
    from loyalty.identification import mask_card

    assert mask_card("2900000004206") == "**** 4206"
    assert mask_card(" 2900 0000 0420 6 ") == "**** 4206"
    assert mask_card("29-1") == "**** 29-1"  # short codes: what there is, never more
    assert mask_card("") == mask_card(None) == ""
    shown = mask_card("2900000004206")
    assert "290000000" not in shown
