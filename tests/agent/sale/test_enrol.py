"""Enrolment at the till ("CPF na nota? Quer entrar no clube?") over real journal and cache files.

Seeded cache (see conftest): M1 (card 1, CPF 529.982.247-25), M2 whose card 2 is blocked; one
campaign: 1 point per R$ 1 and a club price of R$ 21,90 on ARROZ (R$ 24,90 on the shelf).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.cache import apply_changes
from agent.config import load_config
from agent.journal import Outbox
from agent.journal.store import unpack
from agent.sale import BadRequest, MemberNotFound
from agent.sale.errors import EnrolmentRefused
from agent.service import Agent
from loyalty.identification import IdentificationError, card_code128, card_number, mint_qr
from tests.agent.sale.conftest import CPF
from tests.agent.sale.world import (
    Clock,
    card_change,
    fake_credential,
    line,
    make_agent,
    member_change,
    seed_cache,
    write_config,
)

NEW_CPF = "39053344705"  # valid, no member has it
CARD = card_number(77)  # a pre-printed card nobody holds yet
ANA = {"name": "Ana Lima", "cpf": "390.533.447-05", "consent_terms": True, "card_number": CARD}


def count(agent: Agent, table: str) -> int:
    return int(agent.journal_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def outbox(agent: Agent) -> list[dict[str, Any]]:
    """The pending events as the pusher sends them (an enrolment opened with the till's key)."""
    rows = agent.journal_conn.execute("SELECT event_id, payload FROM outbox ORDER BY seq")
    return [json.loads(unpack(r[1], agent.keys, r[0])) for r in rows]


def test_a_shopper_joins_at_payment_and_earns_on_this_very_sale(agent: Agent) -> None:
    """GIVEN an anonymous basket WHEN the shopper joins THEN the club price applies and the sale
    earns for the new member, who is then known at this till by CPF, card and Code 128."""
    assert agent.sales.price("p1", [line("ARROZ", price="24.90")])["total"] == "24.90"
    joined = agent.sales.enrol("p1", ANA)
    assert joined["status"] == "enrolled"
    assert joined["identified"] is True
    assert joined["member_id"] == "77"  # the card's member number, as the portal makes ids
    assert joined["member"] == {"id": "77", "name": "Ana Lima"}
    assert joined["cpf"] == "***.533.447-**"
    assert joined["balance"]["points"] == 0
    done = agent.sales.finalise("p1")
    assert (done["member_id"], done["total"], done["points_earned"]) == ("77", "21.90", 21)
    enrolment, sale = outbox(agent)  # the enrolment goes out before the sale that names it
    assert enrolment["type"] == "enrolment"
    assert enrolment["member_id"] == "77"
    assert enrolment["cpf"] == NEW_CPF  # the server needs it to encrypt; only here
    assert enrolment["card_number"] == CARD
    assert (enrolment["consent_terms"], enrolment["consent_marketing"]) == (True, False)
    assert sale["type"] == "sale"
    assert sale["member_id"] == "77"
    for raw in ("390.533.447-05", CARD, card_code128(77)):
        who = agent.sales.identify(f"again-{raw}", raw)
        assert who["member"] == {"id": "77", "name": "Ana Lima"}
        assert who["balance"]["points"] == 21


def test_the_journal_keeps_the_cpf_and_card_hashes_never_the_cpf_nor_the_card(
    agent: Agent,
) -> None:
    agent.sales.enrol("p1", ANA)
    (row,) = agent.journal_conn.execute("SELECT cpf_hash, card_hash FROM local_members")
    assert row[0] is not None
    assert len(row[0]) == 64
    assert row[1] == agent.card_hash(CARD)  # the cache's own card hash
    for table in ("local_members", "sales", "ledger", "counters", "outbox"):
        for r in agent.journal_conn.execute(f"SELECT * FROM {table}"):
            assert NEW_CPF not in repr(r)
            assert "390.533.447" not in repr(r)
            assert CARD not in repr(r)


def test_without_a_card_ids_come_from_the_terminal_counter_across_sales_and_restarts(
    agent: Agent, tmp_path: Path, clock: Clock
) -> None:
    """Member ids are M:<store>:<terminal>:<seq>; the counter rides in the counters table after
    an enrolment and in each sale row's next_ids after a sale, and survives a restart."""
    first = agent.sales.enrol("p1", {"name": "Bia", "consent_terms": True})
    agent.sales.price("p1", [line("A")])
    agent.sales.finalise("p1")
    second = agent.sales.enrol("p2", {"name": "Caio", "consent_terms": True})
    agent.sales.price("p3", [line("A")])
    agent.sales.finalise("p3")
    agent.close()
    again = make_agent(tmp_path, clock=clock)
    try:
        third = again.sales.enrol("p4", {"name": "Duda", "consent_terms": True})
        assert [a["member_id"] for a in (first, second, third)] == [
            "M:LOJA-01:T0001:000000000001",
            "M:LOJA-01:T0001:000000000002",
            "M:LOJA-01:T0001:000000000003",
        ]
        ids = [e["event_id"] for e in outbox(again)]
        assert len(ids) == len(set(ids)) == 5
    finally:
        again.close()


def test_a_restarted_till_still_knows_its_new_member_by_card_cpf_and_qr(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "qr.pem").write_bytes(pem)
    path = write_config(
        tmp_path,
        identification=f'cpf_hash_secret_file = "{tmp_path / "cpf.secret"}"\n'
        f'qr_public_key = "{tmp_path / "qr.pem"}"\n',
    )
    fake_credential(tmp_path)
    seed_cache(tmp_path / "cache.sqlite3", [member_change(1, "M1")])
    clock = Clock()
    agent = Agent(load_config(path), clock)
    agent.sales.enrol("p1", ANA)
    agent.close()
    agent = Agent(load_config(path), clock)
    try:
        qr = mint_qr(key, 77, now=clock.at, nonce=b"\x02" * 6)
        for raw in (CARD, NEW_CPF, qr):
            assert agent.sales.identify(f"s-{raw[:8]}", raw)["member"]["id"] == "77"
    finally:
        agent.close()


def test_a_pos_retry_gets_the_first_answer_and_writes_nothing_more(
    agent: Agent, tmp_path: Path, clock: Clock
) -> None:
    """A POS that timed out sends the same enrolment again on the same sale: same member, one
    event; after the sale was recorded (or the agent restarted) too. On another sale the CPF
    is a member already."""
    agent.sales.price("p1", [line("A")])
    first = agent.sales.enrol("p1", ANA)
    assert agent.sales.enrol("p1", ANA) == first
    no_card = dict(ANA, card_number=None)  # same CPF: the same enrolment
    assert agent.sales.enrol("p1", no_card)["member_id"] == "77"
    bia = agent.sales.enrol("p9", {"name": "Bia  Souza", "consent_terms": True})
    assert agent.sales.enrol("p9", {"name": "bia souza", "consent_terms": True}) == bia
    assert count(agent, "local_members") == 2
    assert [e["type"] for e in outbox(agent)] == ["enrolment", "enrolment"]
    agent.sales.finalise("p1")
    after = agent.sales.enrol("p1", ANA)
    assert (after["member_id"], after["identified"]) == ("77", False)
    agent.close()
    again = make_agent(tmp_path, clock=clock)
    try:
        assert again.sales.enrol("p1", ANA)["member_id"] == "77"
        with pytest.raises(EnrolmentRefused, match="already a member") as refused:
            again.sales.enrol("p2", dict(ANA, card_number=None))
        assert refused.value.code == "already_member"
        assert [e["type"] for e in outbox(again)] == ["enrolment", "enrolment", "sale"]
    finally:
        again.close()


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        ({"name": "Zé"}, EnrolmentRefused, "consent_required"),
        ({"name": "Zé", "consent_terms": False}, EnrolmentRefused, "consent_required"),
        ({"name": "Zé", "consent_terms": "sim"}, BadRequest, "bad_request"),
        ({"consent_terms": True}, BadRequest, "bad_request"),
        ({"name": "  ", "consent_terms": True}, BadRequest, "bad_request"),
        ({"name": "Zé", "consent_terms": True, "cpf": "390.533.447-04"}, IdentificationError,
         "cpf_invalid"),
        ({"name": "Zé", "consent_terms": True, "cpf": "111.111.111-11"}, IdentificationError,
         "cpf_repeated_digits"),
        ({"name": "Zé", "consent_terms": True, "cpf": 39053344705}, BadRequest, "bad_request"),
        ({"name": "Zé", "consent_terms": True, "cpf": "529.982.247-25"}, EnrolmentRefused,
         "already_member"),
        ({"name": "Zé", "consent_terms": True, "card_number": card_number(1)}, EnrolmentRefused,
         "card_taken"),
        ({"name": "Zé", "consent_terms": True, "card_number": card_number(2)}, EnrolmentRefused,
         "card_taken"),  # blocked, still somebody's
        ({"name": "Zé", "consent_terms": True, "card_number": "7891000100103"},
         IdentificationError, "not_member_code"),  # a product
        ({"name": "Zé", "consent_terms": True, "card_number": "2900000000779"},
         IdentificationError, "bad_check_digit"),
        ({"name": "Zé", "consent_terms": True, "card_number": NEW_CPF}, EnrolmentRefused,
         "not_a_card"),
        ({"name": "Zé", "consent_terms": True, "email": "ze@"}, BadRequest, "bad_request"),
        ({"name": "Zé", "consent_terms": True, "phone": "12"}, BadRequest, "bad_request"),
        ({"name": "Zé", "consent_terms": True, "birth_date": "2027-01-01"}, BadRequest,
         "bad_request"),
        ({"name": "Zé", "consent_terms": True, "consent_marketing": "yes"}, BadRequest,
         "bad_request"),
        ({"name": "Zé", "consent_terms": True, "nome": "Zé"}, BadRequest, "bad_request"),
        ({"name": "Z" * 201, "consent_terms": True}, BadRequest, "bad_request"),
    ],
)  # fmt: skip
def test_refusals_change_nothing_and_echo_no_cpf_or_card(
    agent: Agent, data: dict[str, Any], error: type[Exception], code: str
) -> None:
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("ARROZ", price="24.90")])
    counters = agent.journal.counters.snapshot()
    with pytest.raises(error) as refused:
        agent.sales.enrol("p1", data)
    assert getattr(refused.value, "code", None) == code
    assert count(agent, "local_members") == count(agent, "outbox") == 0
    assert agent.journal.counters.snapshot() == counters
    assert agent.sales.open["p1"].member is not None
    assert agent.sales.open["p1"].member.member_id == "M1"  # the sale is as it was
    assert "p2" not in agent.sales.open
    text = f"{refused.value} {getattr(refused.value, 'message_pt', '')}"
    for secret in ("39053344705", "390.533.447", "52998224725", "529.982.247", "2900000000"):
        assert secret not in text


def test_what_this_till_enrolled_is_known_here_at_once(agent: Agent) -> None:
    agent.sales.enrol("p1", ANA)
    with pytest.raises(EnrolmentRefused) as cpf_known:
        agent.sales.enrol("p2", {"name": "Outra", "consent_terms": True, "cpf": NEW_CPF})
    assert cpf_known.value.code == "already_member"
    with pytest.raises(EnrolmentRefused) as card_known:
        agent.sales.enrol("p3", {"name": "Outra", "consent_terms": True, "card_number": CARD})
    assert card_known.value.code == "card_taken"
    with pytest.raises(EnrolmentRefused) as code128:
        agent.sales.enrol("p4", {"name": "Outra", "consent_terms": True,
                                 "card_number": card_code128(77)})  # fmt: skip
    assert code128.value.code == "card_taken"
    assert count(agent, "local_members") == count(agent, "outbox") == 1


def test_a_failed_commit_writes_nothing_and_reuses_no_id(agent: Agent) -> None:
    conn = agent.journal_conn
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON local_members BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        agent.sales.enrol("p1", {"name": "Bia", "consent_terms": True})
    assert count(agent, "local_members") == count(agent, "outbox") == 0
    assert "p1" not in agent.sales.open
    conn.execute("DROP TRIGGER boom")
    done = agent.sales.enrol("p1", {"name": "Bia", "consent_terms": True})
    assert done["member_id"] == "M:LOJA-01:T0001:000000000001"
    assert outbox(agent)[0]["event_id"] == "V:LOJA-01:T0001:000000000001"


def test_the_cache_copy_wins_once_synced(agent: Agent) -> None:
    agent.sales.enrol("p1", ANA)
    apply_changes(
        agent.cache_conn,
        [member_change(20, "77", name="Ana Lima (servidor)"), card_change(21, CARD, "77")],
        21,
    )
    assert agent.sales.identify("p2", CARD)["member"]["name"] == "Ana Lima (servidor)"


def test_once_synced_the_cache_alone_answers_an_account_deleted_since_is_gone(
    agent: Agent,
) -> None:
    """GIVEN a member enrolled here whose server copy reached the cache, then who deleted the
    account in the portal (anonymised, CPF erased, card blocked) WHEN the CPF or card is used
    THEN the till's own older record does not bring them back; the CPF may join again."""
    agent.sales.enrol("p1", ANA)
    deleted = member_change(20, "77", name="Cliente removido")
    deleted["data"]["active"] = False
    apply_changes(agent.cache_conn, [deleted, card_change(21, CARD, "77", "blocked")], 21)
    with pytest.raises(MemberNotFound, match="no member with this cpf"):
        agent.sales.identify("p2", NEW_CPF)
    with pytest.raises(MemberNotFound, match="blocked") as refused:
        agent.sales.identify("p3", CARD)
    assert "está bloqueado" in refused.value.message_pt
    with pytest.raises(MemberNotFound, match="not active"):
        agent.sales.enrol("p1", ANA)  # a retry of the first enrolment
    again = agent.sales.enrol("p4", dict(ANA, card_number=None))
    assert again["member_id"] == "M:LOJA-01:T0001:000000000001"


def test_a_till_stops_earning_for_an_enrolment_head_office_refused(agent: Agent) -> None:
    """GIVEN an enrolment the server rejected (the CPF joined elsewhere meanwhile) WHEN the
    shopper's card is scanned THEN the till refuses it and says why; the CPF stays known."""
    agent.sales.enrol("p1", ANA)
    outbox_view = Outbox(agent.journal_conn)
    batch = outbox_view.batch(10)
    outbox_view.settle(
        batch, [], [(batch[0].event_id, "cpf_already_enrolled: this CPF belongs to…")], []
    )
    with pytest.raises(MemberNotFound, match="cpf_already_enrolled") as refused:
        agent.sales.identify("p2", CARD)
    assert "recusou" in refused.value.message_pt
    with pytest.raises(EnrolmentRefused, match="already a member"):
        agent.sales.enrol("p3", dict(ANA, card_number=None))


def test_an_applied_enrolment_stays_identifiable_until_the_cache_has_it(agent: Agent) -> None:
    agent.sales.enrol("p1", ANA)
    outbox_view = Outbox(agent.journal_conn)
    batch = outbox_view.batch(10)
    outbox_view.settle(batch, [batch[0].event_id], [], [])
    assert count(agent, "outbox") == 0
    # a later event may reuse the outbox rowid: it must not pass for the enrolment's row
    agent.sales.price("p2", [line("A")])
    agent.sales.finalise("p2")
    bad = outbox_view.batch(10)
    outbox_view.settle(bad, [], [(bad[0].event_id, "invalid_event: x")], [])
    assert agent.sales.identify("p3", CARD)["member"]["id"] == "77"


def test_a_till_without_the_cpf_secret_enrols_without_cpf_only(
    tmp_path: Path, clock: Clock
) -> None:
    path = write_config(tmp_path, identification="")
    fake_credential(tmp_path)
    agent = Agent(load_config(path), clock)
    try:
        with pytest.raises(EnrolmentRefused) as refused:
            agent.sales.enrol("p1", ANA)
        assert refused.value.code == "cpf_check_unavailable"
        assert count(agent, "outbox") == 0
        assert agent.sales.enrol("p1", dict(ANA, cpf=None))["member_id"] == "77"
    finally:
        agent.close()


def test_enrolment_logs_no_cpf_or_card(agent: Agent, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    agent.sales.price("p1", [line("A")])
    agent.sales.enrol("p1", ANA)
    agent.sales.enrol("p1", ANA)
    agent.sales.finalise("p1")
    for bad in (dict(ANA, cpf="390.533.447-04"), dict(ANA, card_number=card_number(1))):
        with pytest.raises(ValueError, match="CPF|card"):
            agent.sales.enrol("p2", bad)
    text = "\n".join(r.getMessage() + str(r.args) + str(r.__dict__) for r in caplog.records)
    for secret in (NEW_CPF, "390.533.447", CARD, card_number(1), CPF):
        assert secret not in text
