"""No clear card number, CPF, phone or e-mail in any file the till writes, and a re-push after a
server restore still gives the server the clear card.

GIVEN a real server on loopback (SQLite file) and a registered agent with a file printer
WHEN shoppers join at the till (CPF, card, phone, e-mail), buy by card and by CPF, a sale is
     refunded, everything syncs (the enrolment moves to ``acked_events``), one more shopper
     joins offline (her enrolment waits in the outbox), and the server is restored from a
     backup taken before the first enrolment, with a new epoch
THEN every text and blob column of every table of the journal and the cache (blobs also
     decompressed), the raw bytes of both files and of their ``-wal``, the printer's output,
     the slip text, ``agent status`` and the POS answers hold none of them (the sealed
     payloads only as ciphertext); a copy of the journal without the till's key opens none
     of its sealed payloads; and the restored server gets the first shopper back from the
     re-push with her card and CPF.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lz4.block  # type: ignore[import-untyped]
import pytest

from agent.cache.card_hash import CardHasher
from agent.config import load_config
from agent.journal import HeldEvents, Outbox, connect_journal
from agent.journal.keys import JournalKeyError, JournalKeys, is_sealed
from agent.service import Agent, Credential, write_credential
from agent.sync.client import register as agent_register
from loyalty.identification import card_number, cpf_hash
from server.db import new_session
from server.models import Card, Member
from tests.agent.sale.world import (
    CPF_SECRET,
    card,
    line,
    live_server,
    registration_code,
    seed_server,
    wait_for,
    write_config,
)

ANA_CPF, ANA_CARD = "39053344705", card_number(77)
BIA_CPF, BIA_CARD = "52998224725", card_number(78)
ANA = {
    "name": "Ana Lima",
    "cpf": "390.533.447-05",
    "card_number": ANA_CARD,
    "phone": "(11) 91234-5678",
    "email": "ana.lima@example.com",
    "birth_date": "1990-05-17",
    "consent_terms": True,
}
BIA = {"name": "Bia Souza", "cpf": BIA_CPF, "card_number": BIA_CARD, "consent_terms": True}


def secrets_of_shoppers() -> dict[str, bytes]:
    """Every form a datum of the shoppers could take in a file."""
    out: dict[str, bytes] = {}
    for who, cpf, number in (("ana", ANA_CPF, ANA_CARD), ("bia", BIA_CPF, BIA_CARD)):
        out[f"{who} cpf"] = cpf.encode()
        out[f"{who} cpf punctuated"] = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}".encode()
        out[f"{who} card"] = number.encode()
    for i in (1, 2):  # cards the server holds, scanned at the till
        out[f"card {i}"] = card(i).encode()
    out["ana phone"] = b"91234-5678"
    out["ana phone digits"] = b"912345678"
    out["ana email"] = b"ana.lima@example.com"
    out["ana birth date"] = b"1990-05-17"
    return out


def decoded(value: object) -> list[bytes]:
    """A column's value as stored, and its JSON inside if it is one of the journal's packed
    forms (LZ4 tag 0x04, zlib): a compressed blob can hide a number from a raw grep."""
    if isinstance(value, str):
        return [value.encode("utf-8")]
    if not isinstance(value, bytes):
        return []
    out = [value]
    if value[:1] == b"\x04":
        out.append(bytes(lz4.block.decompress(value[1:])))
    elif value[:1] == b"\x78":
        out.append(zlib.decompress(value))
    return out


def leaks_in_tables(path: Path) -> list[str]:
    found = []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    for data in decoded(value):
                        found += [
                            f"{path.name}:{table}: {k}" for k, v in SECRETS.items() if v in data
                        ]
    finally:
        conn.close()
    return found


def leaks_in_bytes(*paths: Path) -> list[str]:
    found = []
    for path in paths:
        if path.exists():
            data = path.read_bytes()
            found += [f"{path.name}: {k}" for k, v in SECRETS.items() if v in data]
    return found


SECRETS = secrets_of_shoppers()


@pytest.fixture
def till(tmp_path: Path) -> Iterator[tuple[Agent, Any, Path]]:
    printer = tmp_path / "printer.bin"
    printer.touch()
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        config = write_config(
            tmp_path,
            srv.url,
            printer=f'enabled = true\n[printer.connector]\ntype = "file"\ndevfile = "{printer}"\n'
            "[printer.profile]\npaper_mm = 80\n",
        )
        agent = Agent(load_config(config))
        agent.start()
        try:
            yield agent, srv, tmp_path
        finally:
            agent.close()


def test_no_clear_card_or_cpf_at_rest_and_the_restored_server_gets_them_back(
    till: tuple[Agent, Any, Path],
) -> None:
    agent, srv, tmp = till
    journal, cache = tmp / "journal.sqlite3", tmp / "cache.sqlite3"
    backup = tmp / "backup.db"
    wait_for(lambda: agent.lookups.member_by_id("M1") is not None, timeout=30)
    # An online backup before any enrolment, as `sqlite3 server.db ".backup backup.db"`.
    source, target = sqlite3.connect(tmp / "server.db"), sqlite3.connect(backup)
    source.backup(target)
    target.close()
    source.close()
    answers: list[dict[str, Any]] = []

    # Ana joins on her first sale, buys again by card (offline-known: local_members) and CPF.
    agent.sales.price("p1", [line("ARROZ", price="24.90")])
    answers.append(agent.sales.enrol("p1", ANA))
    answers.append(agent.sales.enrol("p1", ANA))  # the POS's retry: the first answer
    answers.append(agent.sales.finalise("p1"))
    answers.append(agent.sales.identify("p2", ANA_CARD))
    agent.sales.price("p2", [line("X", price="12.00")])
    answers.append(agent.sales.finalise("p2"))
    answers.append(agent.sales.identify("p3", ANA["cpf"]))
    agent.sales.price("p3", [line("X", price="3.00")])
    answers.append(agent.sales.finalise("p3"))
    # A server member by card, refunded in part.
    answers.append(agent.sales.identify("p4", card(1)))
    agent.sales.price("p4", [line("X", price="30.00")])
    answers.append(agent.sales.finalise("p4"))
    answers.append(agent.sales.refund("r4", "p4", "10.00", "troca"))
    answers.append(agent.sales.identify("p5", card(2)))
    agent.sales.price("p5", [line("X", price="5.00")])
    answers.append(agent.sales.finalise("p5"))
    ana = answers[0]["member_id"]
    wait_for(lambda: agent.lookups.member_by_id(ana) is not None, timeout=30)
    wait_for(lambda: agent.status()["queue"]["depth"] == 0, timeout=30)
    wait_for(lambda: HeldEvents(agent.journal_conn).count() >= 6, timeout=30)
    with new_session(srv.app) as s:
        assert s.get(Card, ANA_CARD) is not None  # the push opened the sealed payload

    # The server goes down (it will come back restored); Bia joins meanwhile: her enrolment
    # waits in the outbox.
    port = int(srv.url.rsplit(":", 1)[1])
    srv.stop()
    from server.db import get_engine

    get_engine(srv.app).dispose()
    agent.sales.price("p6", [line("X")])
    answers.append(agent.sales.enrol("p6", BIA))
    answers.append(agent.sales.finalise("p6"))
    answers.append(agent.sales.identify("p7", BIA_CARD))

    # The slips: printed masked (the file connector holds the last one, Bia's), and the text
    # the POS may show.
    wait_for(lambda: b"**** " + BIA_CARD[-4:].encode() in (tmp / "printer.bin").read_bytes())
    slip = agent.slip_text("p2")
    assert slip is not None
    status = json.dumps(agent.status(), ensure_ascii=False)
    shown = json.dumps(answers, ensure_ascii=False) + status + slip

    # Both files as the running till has them, WAL included.
    leaks = leaks_in_tables(journal) + leaks_in_tables(cache)
    leaks += leaks_in_bytes(
        journal, Path(f"{journal}-wal"), cache, Path(f"{cache}-wal"), tmp / "printer.bin"
    )
    leaks += [f"answers/status/slip: {k}" for k, v in SECRETS.items() if v.decode() in shown]
    assert leaks == []
    conn = agent.journal_conn
    sealed = [r[0] for r in conn.execute("SELECT payload FROM outbox WHERE type = 'enrolment'")]
    sealed += [
        r[0]
        for r in conn.execute("SELECT payload FROM acked_events")
        if is_sealed(r[0])  # sales are packed only: no personal datum in them
    ]
    assert len(sealed) == 2
    assert all(is_sealed(b) for b in sealed)
    # What the pusher reads is the clear event (opened in memory).
    (waiting,) = [e for e in Outbox(conn).batch(10) if '"enrolment"' in e.payload]
    assert json.loads(waiting.payload)["card_number"] == BIA_CARD

    # A copy of the journal, without the till's key, opens nothing.
    copy = tmp / "copy" / "journal.sqlite3"
    copy.parent.mkdir()
    agent.journal_conn.execute("PRAGMA wal_checkpoint(FULL)")
    shutil.copyfile(journal, copy)
    bare = connect_journal(copy)
    with pytest.raises(JournalKeyError):
        Outbox(bare).batch(100)
    with pytest.raises(JournalKeyError):
        HeldEvents(bare).batch(0, 10**9, 100)
    other = JournalKeys(CardHasher(b"z" * 32))
    for blob in sealed:
        with pytest.raises(JournalKeyError):
            other.open(blob, "any")
    data = copy.read_bytes()
    assert agent.keys.card_hash.key not in data
    assert agent.keys.sealer.key not in data
    bare.close()

    # The server restored from the backup lost Ana; the new epoch makes the till push again.
    from server.services.epochs import start_new_epoch
    from server.services.uow import SqlUnitOfWork

    for suffix in ("-wal", "-shm"):
        Path(f"{tmp / 'server.db'}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, tmp / "server.db")
    with live_server(tmp / "server.db", port=port) as restored:
        with new_session(restored.app) as s:
            assert s.get(Card, ANA_CARD) is None
        start_new_epoch(SqlUnitOfWork.for_app(restored.app), "at-rest test")

        def back() -> bool:
            with new_session(restored.app) as s:
                return s.get(Card, ANA_CARD) is not None and s.get(Card, BIA_CARD) is not None

        wait_for(back, timeout=60)
        with new_session(restored.app) as s:
            member = s.get(Member, ana)
            assert member is not None
            assert member.cpf_hash == cpf_hash(ANA_CPF, CPF_SECRET)
