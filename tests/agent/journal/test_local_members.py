"""Shoppers enrolled at this till: their journal rows, one stored form of their answer, and
pruning once the server has them (real journal files)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.journal import (
    Journal,
    LocalMemberRow,
    Outbox,
    OutboxRow,
    Write,
    answers,
    connect_journal,
    prune_synced,
)

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def enrol(journal: Journal, member_id: str, at: datetime = T0) -> None:
    event_id = f"V:{member_id}"
    journal.record(
        Write(
            events=[OutboxRow(event_id, "member_enrolled", "{}")],
            member=LocalMemberRow(
                member_id, "Ana", None, None, at.isoformat(), f"pos-{member_id}", {"a": 1}, event_id
            ),
        )
    )


def ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT member_id FROM local_members ORDER BY rowid")]


def test_only_members_applied_at_and_known_to_the_server_are_pruned(tmp_path: Path) -> None:
    conn = connect_journal(tmp_path / "journal.sqlite3")
    journal = Journal(conn)
    for m in ("applied", "pending", "rejected", "not-in-cache"):
        enrol(journal, m)
    enrol(journal, "too-new", T0 + timedelta(days=2))
    outbox = Outbox(conn)
    batch = outbox.batch(10)
    outbox.settle(
        batch,
        applied=["V:applied", "V:not-in-cache", "V:too-new"],
        rejected=[("V:rejected", "cpf_already_enrolled: no")],
        retry=[],
    )
    in_cache = {"applied", "pending", "rejected", "too-new"}
    before = T0 + timedelta(days=1)
    assert prune_synced(conn, in_cache.__contains__, before) == 1
    assert ids(conn) == ["pending", "rejected", "not-in-cache", "too-new"]
    assert journal.members.by_id("applied") is None
    rejected = journal.members.by_id("rejected")
    assert rejected is not None
    assert rejected.rejected == "cpf_already_enrolled: no"
    assert prune_synced(conn, in_cache.__contains__, before) == 0  # twice: nothing more


def test_every_stored_answer_has_one_form_and_old_enrolment_answers_still_read(
    tmp_path: Path,
) -> None:
    conn = connect_journal(tmp_path / "journal.sqlite3")
    journal = Journal(conn)
    enrol(journal, "M9")
    (stored,) = conn.execute("SELECT answer FROM local_members").fetchone()
    assert isinstance(stored, bytes)
    assert answers.decode(stored) == {"a": 1}
    # An enrolment stored by an agent of before (plain JSON text) reads the same.
    conn.execute("UPDATE local_members SET answer = '{\"a\": 1}'")
    found = journal.members.of_sale("pos-M9")
    assert [m.answer for m in found] == [{"a": 1}]
