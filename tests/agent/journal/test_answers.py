"""One stored form for answers, payloads and ledger entries (LZ4 with the journal's
dictionary), and rows of older agents still read."""

from __future__ import annotations

import hashlib
import zlib

import lz4.block  # type: ignore[import-untyped]
import orjson
from hypothesis import given
from hypothesis import strategies as st

from agent.journal import answers
from agent.journal.dictionary import DICT_1

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


def test_a_sale_s_rows_are_stored_with_the_dictionary_and_smaller_than_plain_lz4() -> None:
    entry = {
        "entry_id": "E:LOJA-07:T0003:000000004242",
        "member_id": "M88123",
        "currency": "points",
        "kind": "earn",
        "amount": "57",
        "effective_at": "2026-12-07T18:03:11.102344+00:00",
        "available_at": None,
        "expires_at": "2027-12-07T18:03:11.102344+00:00",
        "sale_id": "S:LOJA-07:T0003:000000004242",
        "rule_id": "pontos",
        "store_id": "LOJA-07",
        "terminal_id": "T0003",
        "reverses": None,
        "reason": None,
    }
    stored = answers.encode(entry)
    assert stored[:1] == answers.TAG_DICT_1
    assert answers.decode(stored) == entry
    plain = answers.TAG_LZ4 + lz4.block.compress(orjson.dumps(entry))
    assert answers.decode(plain) == entry  # rows of agents before the dictionary
    assert len(stored) < 0.6 * len(plain)


def test_the_dictionary_is_never_edited() -> None:
    # Rows tagged TAG_DICT_1 read back only with exactly these bytes: a better dictionary is a
    # new constant with a new tag (agent/journal/dictionary.py).
    digest = hashlib.sha256(DICT_1).hexdigest()
    assert digest == "3a513468a12213f49b525066f532c60272b73bd531a28be626ab11a6cb163e28"
