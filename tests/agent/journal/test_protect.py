"""A journal's personal data is converted at open: layout 1 (clear cards, clear enrolments) to
layout 2, an earlier key to the current one, and a key the till lost costs the till nothing
but those events (real journal files).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import orjson
import pytest

from agent.cache.card_hash import CardHasher
from agent.journal import HeldEvents, Journal, LocalMembers, Outbox, connect_journal
from agent.journal.answers import encode, pack
from agent.journal.db import VERSION
from agent.journal.keys import JournalKeyError, JournalKeys, is_sealed, key_id_of
from agent.journal.protect import KEY_ID
from loyalty.identification import card_number

CARD, CPF = card_number(77), "39053344705"
KEYS = JournalKeys(CardHasher(b"k" * 32))

# local_members as layout 1 shipped it (agent/journal/db.py, user_version 1).
LAYOUT_1_LOCAL_MEMBERS = """
DROP TABLE local_members;
CREATE TABLE local_members (
    member_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cpf_hash TEXT,
    card_number TEXT UNIQUE,
    created_at TEXT NOT NULL,
    pos_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    outbox_seq INTEGER
);
CREATE INDEX local_members_pos ON local_members (pos_id);
CREATE INDEX local_members_cpf ON local_members (cpf_hash);
"""


def enrolment(event_id: str, member_id: str, card: str | None) -> bytes:
    return orjson.dumps(
        {"type": "enrolment", "event_id": event_id, "member_id": member_id, "name": "Ana Lima",
         "cpf": CPF, "card_number": card, "consent_terms": True}
    )  # fmt: skip


def layout_1_journal(path: Path) -> None:
    """A journal as an agent of layout 1 left it: Ana enrolled with her card (pending in the
    outbox), Bia's enrolment acknowledged (kept in acked_events), a sale, in clear."""
    connect_journal(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(LAYOUT_1_LOCAL_MEMBERS)
    conn.execute(
        "INSERT INTO outbox (event_id, type, payload, created_at) VALUES (?, ?, ?, 1)",
        ("E:1", "enrolment", pack(enrolment("E:1", "77", CARD))),
    )
    conn.execute(
        "INSERT INTO outbox (event_id, type, payload, created_at) VALUES (?, ?, ?, 2)",
        ("E:3", "sale", pack(b'{"type":"sale","event_id":"E:3","member_id":"77"}')),
    )
    conn.execute(
        "INSERT INTO acked_events (event_id, payload, created_at, acked_at) VALUES (?, ?, 1, 1)",
        ("E:2", pack(enrolment("E:2", "78", card_number(78)))),
    )
    conn.execute(
        "INSERT INTO local_members VALUES ('77', 'Ana Lima', 'h', ?, '2026-03-02T12:00:00+00:00',"
        " 'p1', ?, 'E:1', 1)",
        (CARD, encode({"status": "enrolled"})),
    )
    conn.execute(
        "INSERT INTO local_members VALUES ('M:1', 'Cid', NULL, NULL, '2026-03-02T12:00:00+00:00',"
        " 'p2', ?, 'E:9', NULL)",
        (encode({"status": "enrolled"}),),
    )
    conn.execute("DELETE FROM sync_meta")
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def clear_in_file(path: Path) -> list[str]:
    found = []
    for f in (path, Path(f"{path}-wal")):
        if f.exists():
            data = f.read_bytes()
            found += [f"{f.name}: {v}" for v in (CARD, card_number(78), CPF) if v.encode() in data]
    return found


def test_a_layout_1_journal_is_hashed_and_sealed_at_open_and_nothing_clear_remains(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    layout_1_journal(path)
    assert clear_in_file(path)  # the test's own check: the old file does hold them
    conn = connect_journal(path, KEYS)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == VERSION == 2
    members = LocalMembers(conn)
    ana = members.by_card(CARD)
    assert ana is not None
    assert ana.member_id == "77"
    assert ana.card_hash == KEYS.card_hash(CARD)  # the cache's own hash of the card
    assert members.by_id("M:1") is not None  # a member without a card keeps its row
    assert members.of_sale("p1") == [ana]
    # The pusher still sends the clear events, pending and held.
    (pending, sale) = Outbox(conn).batch(10)
    assert json.loads(pending.payload)["card_number"] == CARD
    assert json.loads(sale.payload)["type"] == "sale"
    (held,) = HeldEvents(conn).batch(0, 10, 10)
    assert json.loads(held.event.payload)["card_number"] == card_number(78)
    rows = conn.execute("SELECT type, payload FROM outbox ORDER BY seq").fetchall()
    assert [is_sealed(p) for _, p in rows] == [True, False]  # a sale carries nobody's data
    assert clear_in_file(path) == []  # old pages zeroed, WAL truncated: with the till open
    conn.close()
    assert clear_in_file(path) == []


def test_a_layout_1_journal_with_clear_data_is_not_opened_without_the_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    layout_1_journal(path)
    with pytest.raises(JournalKeyError, match="in clear"):
        connect_journal(path)
    conn = connect_journal(path, KEYS)  # nothing was half-converted
    assert LocalMembers(conn).by_card(CARD) is not None
    conn.close()


def test_a_journal_under_an_earlier_key_is_resealed_and_rehashed(tmp_path: Path) -> None:
    """A till that ran with its own random key, then got the chain's CPF hash secret."""
    path = tmp_path / "journal.sqlite3"
    layout_1_journal(path)
    old = KEYS
    connect_journal(path, old).close()
    new = JournalKeys(CardHasher(b"n" * 32), previous=(old.card_hash,))
    conn = connect_journal(path, new)
    assert LocalMembers(conn).by_card(CARD) is not None  # hashed again under the new key
    payloads = [p for (p,) in conn.execute("SELECT payload FROM acked_events")]
    payloads += [p for (p,) in conn.execute("SELECT payload FROM outbox WHERE type='enrolment'")]
    assert {key_id_of(p) for p in payloads} == {new.key_id}
    assert conn.execute("SELECT value FROM sync_meta WHERE key = ?", (KEY_ID,)).fetchone() == (
        new.key_id,
    )
    conn.close()
    # The earlier key can go now.
    conn = connect_journal(path, JournalKeys(new.card_hash))
    assert json.loads(Outbox(conn).batch(1)[0].payload)["card_number"] == CARD
    conn.close()


def test_events_sealed_under_a_lost_key_are_parked_and_the_till_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    layout_1_journal(path)
    connect_journal(path, KEYS).close()
    stranger = JournalKeys(CardHasher(b"s" * 32))
    conn = connect_journal(path, stranger)
    outbox = Outbox(conn)
    assert outbox.rejected() == 1
    (error,) = conn.execute("SELECT error FROM outbox WHERE state = 2").fetchone()
    assert error.startswith("journal_key_missing")
    assert [json.loads(e.payload)["type"] for e in outbox.batch(10)] == ["sale"]
    assert HeldEvents(conn).count() == 0  # acknowledged already; it cannot be re-pushed
    assert LocalMembers(conn).by_card(CARD) is None  # its hash was under the lost key
    assert LocalMembers(conn).by_id("77") is not None
    conn.close()


def test_a_sealed_payload_opens_only_in_its_own_row(tmp_path: Path) -> None:
    blob = KEYS.seal(pack(enrolment("E:1", "77", CARD)), "E:1")
    assert CARD.encode() not in blob
    assert KEYS.open(blob, "E:1") == pack(enrolment("E:1", "77", CARD))
    with pytest.raises(JournalKeyError):
        KEYS.open(blob, "E:2")  # moved to another event's row
    with pytest.raises(JournalKeyError):
        KEYS.open(blob[:-1] + bytes([blob[-1] ^ 1]), "E:1")  # altered


def test_an_enrolment_is_not_recorded_by_a_journal_opened_without_keys(tmp_path: Path) -> None:
    from agent.journal import OutboxRow, Write

    journal = Journal(connect_journal(tmp_path / "journal.sqlite3"))
    with pytest.raises(JournalKeyError):
        journal.record(Write(events=[OutboxRow("E:1", "enrolment", enrolment("E:1", "7", CARD))]))
    assert Outbox(journal.conn).depth() == 0
    journal.conn.close()
