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


# -- every id a till makes: refunds, events, members, raffle tickets ------------------------


def test_documented_format_of_refund_event_member_and_ticket_ids() -> None:
    from loyalty.rewards import (
        make_event_id,
        make_member_id,
        make_refund_id,
        make_ticket_id,
        parse_event_id,
        parse_made_id,
        parse_member_id,
        parse_refund_id,
    )
    from loyalty.rewards.ids import is_ticket_of, sequence_of

    assert make_refund_id("LOJA-01", "PDV-03", 2) == "R:LOJA-01:PDV-03:000000000002"
    assert make_event_id("LOJA-01", "PDV-03", 131) == "V:LOJA-01:PDV-03:000000000131"
    assert make_member_id("LOJA-01", "PDV-03", 5) == "M:LOJA-01:PDV-03:000000000005"
    assert parse_refund_id("R:LOJA-01:PDV-03:000000000002") == ("LOJA-01", "PDV-03", 2)
    assert parse_event_id("V:LOJA-01:PDV-03:000000000131").seq == 131
    assert parse_member_id("M:LOJA-01:PDV-03:000000000005").terminal_id == "PDV-03"
    assert parse_made_id("R:L:T:000000000009") == ("R", ("L", "T", 9))
    assert sequence_of("S:L:T:000000000042") == 42
    assert sequence_of("pending:p1") is None
    ticket = make_ticket_id("S:L:T:000000000007", "natal", 2)
    assert ticket == "S:L:T:000000000007/natal/2"
    assert is_ticket_of(ticket, "S:L:T:000000000007")
    assert not is_ticket_of(ticket, "S:L:T:00000000000")


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        ("parse_refund_id", "S:L:T:000000000001", "not a refund id"),
        ("parse_event_id", "V-1", "not an event id"),
        ("parse_member_id", "M:L:T:12", "not a member id"),
        ("parse_made_id", "X:L:T:000000000001", "not an id made at a till"),
    ],
)
def test_every_parse_refuses_another_kind_of_id(parse: str, value: str, message: str) -> None:
    import loyalty.rewards.ids as ids

    with pytest.raises(InvalidId, match=message):
        getattr(ids, parse)(value)


def test_no_module_outside_ids_formats_or_parses_a_till_id() -> None:
    """Ids are made and read in ``loyalty/rewards/ids.py`` only: no f-string starting with an
    id prefix (``f"V:{store}…"``), no ``:012d`` sequence and no hand-written id pattern in
    agent/, server/, plugins/, tillclub/ or the rest of loyalty/."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    prefix = re.compile(r"^[ESRVM]:")
    hits = []
    for package in ("agent", "server", "plugins", "tillclub", "loyalty"):
        for path in (root / package).rglob("*.py"):
            if path.name == "ids.py" or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.JoinedStr) and node.values:
                    first = node.values[0]
                    if isinstance(first, ast.Constant) and prefix.match(str(first.value)):
                        hits.append(where)
                    for v in node.values:
                        spec = getattr(v, "format_spec", None)
                        if spec is not None and "012d" in ast.unparse(spec):
                            hits.append(where)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if re.search(r"\^?\[?E[\]:].*\\d\{12\}", node.value):
                        hits.append(where)
    assert hits == []
