"""CPF typed at the till: check digits, repeated digits, keyed hash, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.identification import (
    IdentificationError,
    Reason,
    cpf_hash,
    is_valid_cpf,
    mask_cpf,
    normalize_cpf,
)

# Independent references: python-stdnum's test data (39053344705 valid, 23100299900 not) and
# the Receita Federal's well-known example 111.444.777-35.
KNOWN_CPFS = [
    ("390.533.447-05", True),
    ("39053344705", True),
    ("111.444.777-35", True),
    ("231.002.999-00", False),
    ("111.444.777-36", False),
    ("123.456.789-00", False),
    ("123.456.789-09", True),
]


@pytest.mark.parametrize(("cpf", "valid"), KNOWN_CPFS)
def test_known_cpfs(cpf: str, valid: bool) -> None:
    assert is_valid_cpf(cpf) is valid


@pytest.mark.parametrize("digit", "0123456789")
def test_repeated_digit_numbers_are_refused(digit: str) -> None:
    with pytest.raises(IdentificationError) as info:
        normalize_cpf(digit * 11)
    assert info.value.reason is Reason.CPF_REPEATED_DIGITS


@pytest.mark.parametrize("text", ["3905334470", "390533447055", "390-533-447.05", "abc"])
def test_wrong_shapes_are_garbage(text: str) -> None:
    with pytest.raises(IdentificationError) as info:
        normalize_cpf(text)
    assert info.value.reason is Reason.GARBAGE


def _remainder(part: str) -> int:
    total = sum(int(d) * w for d, w in zip(part, range(len(part) + 1, 1, -1), strict=True))
    return total * 10 % 11


def _make_cpf(body: str) -> str:
    first = str(_remainder(body) % 10)
    return body + first + str(_remainder(body + first) % 10)


cpf_bodies = st.text("0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)


@given(cpf_bodies, st.integers(0, 10), st.integers(1, 9))
def test_valid_cpfs_pass_and_single_digit_changes_fail(
    body: str, position: int, delta: int
) -> None:
    """Every change of a check digit fails; a change of a body digit fails unless the CPF
    algorithm itself cannot see it.

    The official algorithm maps remainder 10 to digit 0, so remainders 0 and 10 collide, and
    the first digit's weight in the second check is 11, which is 0 mod 11. So a change of the
    first digit is unseen when the first remainder moves between 0 and 10; a change of digits
    2-9 moves both remainders (11 is prime) and is unseen only when both collide. Such a
    changed number is a valid CPF too: rejecting it would reject a real person's CPF.
    """
    cpf = _make_cpf(body)
    assert normalize_cpf(cpf) == cpf
    assert normalize_cpf(f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}") == cpf
    changed = cpf[:position] + str((int(cpf[position]) + delta) % 10) + cpf[position + 1 :]
    if position >= 9 or len(set(changed)) == 1:
        assert not is_valid_cpf(changed)
        return
    before = (_remainder(cpf[:9]), _remainder(cpf[:10]))
    after = (_remainder(changed[:9]), _remainder(changed[:10]))
    assert before[0] != after[0]
    assert (before[1] == after[1]) is (position == 0)
    unseen = all(x == y or {x, y} == {0, 10} for x, y in zip(before, after, strict=True))
    assert is_valid_cpf(changed) is unseen


def test_the_collision_exists_in_real_cpfs() -> None:
    """70499962206 and 80499962206 are both valid: the first digit changed, unseen."""
    assert is_valid_cpf("70499962206")
    assert is_valid_cpf("80499962206")


def test_error_messages_never_echo_the_whole_cpf() -> None:
    with pytest.raises(IdentificationError) as info:
        normalize_cpf("111.444.777-36")
    assert "11144477736" not in str(info.value)
    assert "444.777" in info.value.message_pt


def test_keyed_hash_is_stable_and_depends_on_the_secret() -> None:
    secret = b"chain-secret-0123456789"
    assert cpf_hash("390.533.447-05", secret) == cpf_hash("39053344705", secret)
    assert cpf_hash("39053344705", secret) != cpf_hash("39053344705", secret + b"x")
    assert len(cpf_hash("39053344705", secret)) == 64
    with pytest.raises(ValueError, match="at least 16 bytes"):
        cpf_hash("39053344705", b"short")


def test_mask() -> None:
    assert mask_cpf("123.456.789-09") == "***.456.789-**"
    assert mask_cpf("12345678909") == "***.456.789-**"
    assert mask_cpf("123") == "***.***.***-**"
