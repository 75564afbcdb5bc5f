"""Entry and sale ids: format, uniqueness across terminals, order by origin sequence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rewards import InvalidId, make_entry_id, make_sale_id, parse_entry_id, parse_sale_id
from loyalty.rewards.ids import EntryIds

parts = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)
seqs = st.integers(0, 10**12 - 1)


def test_documented_format() -> None:
    assert make_entry_id("LOJA-01", "PDV-03", 42) == "E:LOJA-01:PDV-03:000000000042"
    assert make_sale_id("LOJA-01", "PDV-03", 7) == "S:LOJA-01:PDV-03:000000000007"
    assert parse_entry_id("E:LOJA-01:PDV-03:000000000042") == ("LOJA-01", "PDV-03", 42)
    assert parse_sale_id("S:LOJA-01:PDV-03:000000000007").seq == 7


@given(parts, parts, seqs, parts, parts, seqs)
def test_ids_from_different_origins_never_collide(
    s1: str, t1: str, n1: int, s2: str, t2: str, n2: int
) -> None:
    same = (s1, t1, n1) == (s2, t2, n2)
    assert (make_entry_id(s1, t1, n1) == make_entry_id(s2, t2, n2)) is same
    assert parse_entry_id(make_entry_id(s1, t1, n1)) == (s1, t1, n1)


@given(parts, parts, seqs, seqs)
def test_ids_of_one_terminal_sort_by_sequence(store: str, terminal: str, a: int, b: int) -> None:
    ida, idb = make_entry_id(store, terminal, a), make_entry_id(store, terminal, b)
    assert (ida < idb) is (a < b)


@pytest.mark.parametrize(
    ("store", "terminal", "seq"),
    [
        ("LOJA:1", "PDV", 1),
        ("", "PDV", 1),
        ("LOJA", "P" * 33, 1),
        ("LOJA", "PDV", -1),
        ("LOJA", "PDV", 10**12),
        ("LOJA", "PDV", True),
        ("LOJA", "PDV 1", 1),
    ],
)
def test_bad_parts_are_refused_naming_the_value(store: str, terminal: str, seq: int) -> None:
    with pytest.raises(InvalidId) as err:
        make_entry_id(store, terminal, seq)
    assert err.value.code == "invalid_id"


def test_a_sale_id_is_not_an_entry_id() -> None:
    with pytest.raises(InvalidId, match="not an entry id"):
        parse_entry_id(make_sale_id("L", "T", 1))


def test_counter_hands_out_consecutive_ids_and_remembers_the_next() -> None:
    ids = EntryIds("L", "T", 5)
    assert [ids(), ids()] == [make_entry_id("L", "T", 5), make_entry_id("L", "T", 6)]
    assert ids.next_seq == 7
