"""The sale state machine over real journal and cache files.

Seeded cache (see conftest): M1 (card 1, CPF) with 5000 points and R$ 45,00 cashback from the
server, M2 whose card is blocked; one campaign: 1 point per R$ 1 and a club price on ARROZ;
a single-use R$ 10 voucher. Offline caps: R$ 50,00 per sale, R$ 80,00 per member per day,
shared by points and cashback; 100 points = R$ 1,00.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.journal.store import unpack
from agent.sale import MemberNotFound, NoSuchSale, SaleStateError, TenderRefused
from agent.service import Agent
from loyalty.identification import IdentificationError, card_number, mint_qr
from loyalty.pricing import BasketError
from tests.agent.sale.world import Clock, line, make_agent


def rows(agent: Agent, table: str) -> int:
    return int(agent.journal_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def outbox(agent: Agent) -> list[dict[str, object]]:
    return [
        json.loads(unpack(r[0])) for r in agent.journal_conn.execute("SELECT payload FROM outbox")
    ]


def test_identify_by_card_and_cpf_shows_server_balance(agent: Agent) -> None:
    by_card = agent.sales.identify("p1", card_number(1))
    by_cpf = agent.sales.identify("p2", "529.982.247-25")
    assert by_card["member"]["id"] == by_cpf["member"]["id"] == "M1"
    assert by_card["balance"] == {"points": 5000, "cashback": "45.00", "cashback_pending": "0.00"}


@pytest.mark.parametrize(
    ("raw", "error", "text"),
    [
        (card_number(99), MemberNotFound, "no member"),
        (card_number(2), MemberNotFound, "blocked"),
        ("7891000100103", IdentificationError, ""),  # a product, not a member code
        ("2900000000019", IdentificationError, "check digit"),
        ("52998224724", IdentificationError, ""),  # CPF with a wrong check digit
        ("%%garbage%%", IdentificationError, ""),
    ],
)
def test_bad_codes_are_refused_and_change_nothing(
    agent: Agent, raw: str, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text or None):
        agent.sales.identify("p1", raw)
    assert rows(agent, "sales") == rows(agent, "outbox") == 0


def test_forged_and_expired_qr_are_refused(tmp_path: Path, clock: Clock) -> None:
    key = Ed25519PrivateKey.generate()
    forger = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "qr.pem").write_bytes(pem)
    from agent.config import load_config
    from tests.agent.sale.world import fake_credential, member_change, seed_cache, write_config

    path = write_config(tmp_path, identification=f'qr_public_key = "{tmp_path / "qr.pem"}"\n')
    fake_credential(tmp_path)
    seed_cache(tmp_path / "cache.sqlite3", [member_change(1, "7")])
    agent = Agent(load_config(path), clock)
    good = mint_qr(key, 7, now=clock.at, nonce=b"\x01" * 6)
    assert agent.sales.identify("q1", good)["member"]["id"] == "7"
    forged = mint_qr(forger, 7, now=clock.at, nonce=b"\x01" * 6)
    with pytest.raises(IdentificationError):
        agent.sales.identify("q2", forged)
    clock.at += timedelta(hours=1)
    with pytest.raises(IdentificationError):
        agent.sales.identify("q3", good)
    agent.close()


def test_bad_basket_lines_are_refused_and_change_nothing(agent: Agent) -> None:
    with pytest.raises(BasketError, match="line 2.*qty"):
        agent.sales.price("p1", [line("A"), line("B", qty="-1")])
    with pytest.raises(BasketError, match="unit_price"):
        agent.sales.price("p1", [line("A", price="1.999")])
    with pytest.raises(NoSuchSale):
        agent.sales.finalise("never-priced")
    assert rows(agent, "sales") == rows(agent, "outbox") == 0


def test_finalise_writes_sale_entries_and_event_in_one_go(agent: Agent) -> None:
    agent.sales.identify("p1", card_number(1))
    quote = agent.sales.price(
        "p1", [line("ARROZ", price="24.90"), line("X", qty="2", price="5.00")]
    )
    assert (quote["total"], quote["discount"], quote["points_earned"]) == ("31.90", "3.00", 31)
    answer = agent.sales.finalise("p1")
    assert answer["sale_id"] == "S:LOJA-01:T0001:000000000001"
    assert answer["balance"]["points"] == 5031
    assert rows(agent, "sales") == rows(agent, "outbox") == rows(agent, "ledger") == 1
    (event,) = outbox(agent)
    assert event["type"] == "sale"
    assert event["total"] == "31.90"
    assert [e["amount"] for e in event["ledger_entries"]] == ["31"]


def test_refinalise_returns_the_first_answer_even_after_a_restart(
    agent: Agent, tmp_path: Path, clock: Clock
) -> None:
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("ARROZ", price="24.90")])
    first = agent.sales.finalise("p1")
    assert agent.sales.finalise("p1") == first
    agent.close()
    again = make_agent(tmp_path, clock=clock)
    assert again.sales.finalise("p1") == first
    again.sales.price("p2", [line("A")])
    assert again.sales.finalise("p2")["sale_id"] == "S:LOJA-01:T0001:000000000002"
    assert rows(again, "sales") == rows(again, "outbox") == 2
    again.close()


def test_cancel_leaves_no_trace_and_a_recorded_sale_cannot_be_cancelled(agent: Agent) -> None:
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A")])
    assert agent.sales.cancel("p1")["status"] == "cancelled"
    assert agent.sales.cancel("p1")["status"] == "cancelled"  # retried: fine
    with pytest.raises(NoSuchSale):
        agent.sales.finalise("p1")
    assert rows(agent, "sales") == rows(agent, "outbox") == rows(agent, "ledger") == 0
    agent.sales.price("p2", [line("A")])
    agent.sales.finalise("p2")
    with pytest.raises(SaleStateError, match="refund"):
        agent.sales.cancel("p2")


def test_a_failed_commit_writes_nothing_and_reuses_no_id(agent: Agent) -> None:
    conn = agent.journal_conn
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A")])
    with pytest.raises(sqlite3.IntegrityError):
        agent.sales.finalise("p1")
    assert rows(agent, "sales") == rows(agent, "ledger") == rows(agent, "outbox") == 0
    conn.execute("DROP TRIGGER boom")
    assert agent.sales.finalise("p1")["sale_id"] == "S:LOJA-01:T0001:000000000001"


def test_points_and_cashback_tenders_respect_balance_and_offline_caps(agent: Agent) -> None:
    """Caps: R$ 50,00 per sale (5000 points), R$ 80,00 per member per day.

    | sale | tender              | allowed because                        |
    | p1   | 6000 points refused | per-sale cap 5000 (balance 5000 too)   |
    | p1   | 5000 points = R$ 50 | within balance and caps                |
    | p2   | R$ 30,00 cashback   | day cap left: 80 - 50 = 30             |
    | p2   | R$ 30,01 refused    | day cap                                |
    """
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A", price="100.00")])
    with pytest.raises(TenderRefused, match="at most 5000 points"):
        agent.sales.apply_points("p1", 6000)
    quote = agent.sales.apply_points("p1", 5000)
    assert (quote["points_value"], quote["amount_due"]) == ("50.00", "50.00")
    answer = agent.sales.finalise("p1")
    assert answer["balance"]["points"] == 100  # 5000 - 5000 + 100 earned
    agent.sales.identify("p2", card_number(1))
    agent.sales.price("p2", [line("A", price="100.00")])
    with pytest.raises(TenderRefused, match="per member per day"):
        agent.sales.apply_cashback("p2", "30.01")
    assert agent.sales.apply_cashback("p2", "30.00")["amount_due"] == "70.00"
    agent.sales.finalise("p2")
    kinds = [(e["kind"], e["amount"]) for ev in outbox(agent) for e in ev["ledger_entries"]]
    assert ("redeem", "-5000") in kinds
    assert ("redeem", "-30.00") in kinds


def test_tender_refusals_name_the_cap_in_portuguese(agent: Agent) -> None:
    """The pt-BR refusal names the bound in Portuguese and the money as reais (issue 23)."""
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A", price="100.00")])
    with pytest.raises(TenderRefused) as refused:
        agent.sales.apply_points("p1", 6000)
    assert refused.value.message_pt.endswith("agora (saldo)")  # was "(balance)"
    agent.sales.apply_points("p1", 5000)
    agent.sales.finalise("p1")
    agent.sales.identify("p2", card_number(1))
    agent.sales.price("p2", [line("A", price="100.00")])
    with pytest.raises(TenderRefused) as refused:
        agent.sales.apply_cashback("p2", "30.01")
    assert refused.value.message_pt == (
        "no máximo R$ 30,00 de cashback agora (limite por cliente por dia)"
    )


def test_tenders_need_a_member(agent: Agent) -> None:
    agent.sales.price("p1", [line("A")])
    with pytest.raises(TenderRefused, match="identify"):
        agent.sales.apply_points("p1", 10)


def test_balance_is_server_balance_plus_unacknowledged_local_entries(agent: Agent) -> None:
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A", price="10.00")])
    agent.sales.finalise("p1")
    shown = agent.sales.identify("p2", card_number(1))["balance"]["points"]
    assert shown == 5000 + 10


def test_refund_reverses_rewards_as_a_new_event_once(agent: Agent) -> None:
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A", price="40.00")])
    agent.sales.finalise("p1")
    first = agent.sales.refund("r1", "p1", "20.00")
    assert first["points_reversed"] == -20
    assert agent.sales.refund("r1", "p1", "20.00") == first  # POS retry
    agent.sales.refund("r2", "p1", "20.00")
    assert agent.sales.identify("p9", card_number(1))["balance"]["points"] == 5000
    types = [e["type"] for e in outbox(agent)]
    assert types == ["sale", "refund", "refund"]
    with pytest.raises(ValueError, match="exceed"):
        agent.sales.refund("r3", "p1", "0.01")


def test_a_single_use_voucher_is_marked_used_locally(agent: Agent) -> None:
    from loyalty.rewards import VoucherRefused
    from tests.agent.sale.conftest import VOUCHER

    agent.sales.price("p1", [line("A", price="15.00")])
    with pytest.raises(VoucherRefused, match="minimum|mínimo|20"):
        agent.sales.apply_voucher("p1", VOUCHER)
    agent.sales.price("p1", [line("A", price="25.00")])
    quote = agent.sales.apply_voucher("p1", VOUCHER.lower())
    assert agent.sales.apply_voucher("p1", VOUCHER) == quote  # again: no change
    assert quote["total"] == "15.00"
    agent.sales.finalise("p1")
    assert [e["type"] for e in outbox(agent)] == ["sale", "voucher_use"]
    agent.sales.price("p2", [line("A", price="25.00")])
    with pytest.raises(VoucherRefused):
        agent.sales.apply_voucher("p2", VOUCHER)


def test_caps_are_shared_by_points_and_cashback_in_one_sale(agent: Agent) -> None:
    """R$ 30,00 in points leaves R$ 20,00 of the R$ 50,00 per-sale cap for cashback."""
    agent.sales.identify("p1", card_number(1))
    agent.sales.price("p1", [line("A", price="100.00")])
    agent.sales.apply_points("p1", 3000)
    with pytest.raises(TenderRefused, match=r"R\$ 20.00 .*limit per sale"):
        agent.sales.apply_cashback("p1", "25.00")
    assert agent.sales.apply_cashback("p1", "20.00")["amount_due"] == "50.00"
