"""One stored form for answers and payloads (LZ4), and rows of older agents still read."""

from __future__ import annotations

import zlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from agent.journal import answers

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), JSON, max_size=8))
def test_an_answer_reads_back_as_it_was_given(answer: dict[str, object]) -> None:
    stored = answers.encode(answer)
    assert stored[:1] != b"\x78"  # not mistaken for a zlib row
    assert answers.decode(stored) == answer


def test_a_payload_is_smaller_stored_and_reads_back_as_its_text() -> None:
    text = orjson.dumps({"type": "sale", "lines": [{"sku": f"7891000{i}"} for i in range(20)]})
    stored = answers.pack(text)
    assert len(stored) < len(text) / 2
    assert answers.unpack(stored) == text.decode()


def test_rows_of_older_agents_still_read() -> None:
    old = {"status": "recorded", "sale_id": "S:LOJA-01:T0001:000000000007"}
    assert answers.decode(zlib.compress(orjson.dumps(old), 1)) == old  # sales, refunds
    assert answers.decode(orjson.dumps(old).decode()) == old  # enrolments (plain text)
    assert answers.unpack(zlib.compress(b'{"type": "sale"}')) == '{"type": "sale"}'  # outbox
