"""Issue 7: with a synced catalogue, an unknown or inactive SKU is refused and changes nothing;
the catalogue fills category and brand, and its names reach the quote and the loyalty slip.

Seeded cache: M1 (card 1) and a campaign with 1 point per R$ 1, a club price on ARROZ and
(here) 10% off the ``limpeza`` category; products ARROZ, DETERGENTE (limpeza, Ypê) and
VELHO (inactive). Without products in the cache the till prices whatever the POS sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.cache import read_meta
from agent.config import load_config
from agent.journal.store import unpack
from agent.sale import NoSuchSale, UnknownSku
from agent.sale.slips import slip_fields
from agent.service import Agent, Credential, write_credential
from agent.sync import register as agent_register
from loyalty.identification import card_number
from plugins.dispatch import Dispatcher
from server.db import new_session
from server.models.sales import SaleLine
from server.services.products import import_products, parse_products_csv
from server.services.uow import SqlUnitOfWork
from tests.agent.cache.test_products import product_change
from tests.agent.sale.world import (
    CAMPAIGN,
    Clock,
    campaign_change,
    card_change,
    line,
    live_server,
    make_agent,
    member_change,
    registration_code,
    seed_server,
    wait_for,
    write_config,
)

DOCUMENT = {
    **CAMPAIGN,
    "rules": [
        *CAMPAIGN["rules"],  # type: ignore[list-item]
        {
            "id": "limpeza-10",
            "kind": "percent_off",
            "name": "Limpeza -10%",
            "percent": "10",
            "applies_to": {"categories": ["limpeza"]},
        },
    ],
}


def _agent(tmp_path: Path, catalogue: bool) -> Agent:
    changes = [
        member_change(1, "M1"),
        card_change(2, card_number(1), "M1"),
        campaign_change(3, DOCUMENT),
    ]
    if catalogue:
        changes += [
            product_change(4, "ARROZ", "Arroz Tio João 5kg"),
            product_change(5, "DETERGENTE", "Detergente Ypê 500ml", "limpeza", "Ypê"),
            product_change(6, "VELHO", "Produto fora de linha", active=False),
        ]
    return make_agent(tmp_path, changes, Clock())


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Agent]:
    a = _agent(tmp_path, catalogue=True)
    yield a
    a.close()


def _outbox_lines(agent: Agent) -> list[dict[str, Any]]:
    events = [
        json.loads(unpack(r[0])) for r in agent.journal_conn.execute("SELECT payload FROM outbox")
    ]
    return [ln for e in events if e["type"] == "sale" for ln in e["lines"]]


def test_an_unknown_sku_is_refused_and_the_open_sale_keeps_its_basket(shop: Agent) -> None:
    shop.sales.identify("p1", card_number(1))
    before = shop.sales.price("p1", [line("ARROZ", price="24.90")])
    with pytest.raises(UnknownSku) as info:
        shop.sales.price("p1", [line("ARROZ", price="24.90"), line("7890000000000")])
    err = info.value
    assert (err.code, err.line_no, err.sku) == ("unknown_sku", 2, "7890000000000")
    assert err.message_en.startswith("line 2: product '7890000000000' is not in the catalogue")
    assert err.message_pt.startswith("linha 2: produto '7890000000000' não está no catálogo")
    answer = shop.sales.finalise("p1")
    assert answer["total"] == before["total"] == "21.90"  # the club price on the kept basket
    assert [ln["sku"] for ln in answer["lines"]] == ["ARROZ"]
    assert [ln["sku"] for ln in _outbox_lines(shop)] == ["ARROZ"]


def test_a_refused_first_basket_opens_no_sale(shop: Agent) -> None:
    with pytest.raises(UnknownSku):
        shop.sales.price("p2", [line("NOPE")])
    with pytest.raises(NoSuchSale):
        shop.sales.finalise("p2")
    assert shop.journal_conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


def test_an_inactive_sku_is_refused_with_its_reason(shop: Agent) -> None:
    with pytest.raises(UnknownSku, match="line 1: product 'VELHO' is inactive") as info:
        shop.sales.price("p3", [line("VELHO")])
    assert info.value.message_pt.startswith("linha 1: produto 'VELHO' está inativo no catálogo")


def test_the_pos_gets_the_code_and_the_cashiers_message(shop: Agent) -> None:
    answer = Dispatcher(shop.sales).handle(
        {"operation": "price", "sale_id": "p4", "lines": [line("ARROZ"), line("X9")]}
    )
    assert answer["ok"] is False
    assert answer["error"]["code"] == "unknown_sku"
    assert answer["error"]["status"] == 422
    assert "linha 2" in answer["error"]["message"]
    assert "'X9'" in answer["error"]["message"]


def test_catalogue_fills_category_and_brand_and_names_the_lines(shop: Agent) -> None:
    shop.sales.identify("p5", card_number(1))
    quote = shop.sales.price(
        "p5",
        [
            line("DETERGENTE", qty="2", price="3.00"),  # limpeza from the catalogue: -10%
            line("ARROZ", price="24.90", category="promo", brand="Camil"),  # the POS's win
        ],
    )
    assert [(ln["sku"], ln["name"], ln["net"]) for ln in quote["lines"]] == [
        ("DETERGENTE", "Detergente Ypê 500ml", "5.40"),
        ("ARROZ", "Arroz Tio João 5kg", "21.90"),
    ]
    answer = shop.sales.finalise("p5")
    assert [(ln["sku"], ln.get("category_id"), ln.get("brand")) for ln in _outbox_lines(shop)] == [
        ("DETERGENTE", "limpeza", "Ypê"),
        ("ARROZ", "promo", "Camil"),
    ]
    slip = slip_fields(answer | {"member_name": "Maria Silva"}, "Loja Centro")
    assert [ln["description"] for ln in slip["lines"]] == [
        "Detergente Ypê 500ml",
        "Arroz Tio João 5kg",
    ]
    text = shop.slip_text("p5")
    assert text is not None
    assert "Detergente Ypê 500ml" in text


def test_without_a_catalogue_the_pos_lines_are_priced_as_sent(tmp_path: Path) -> None:
    agent = _agent(tmp_path, catalogue=False)
    try:
        agent.sales.identify("p6", card_number(1))
        quote = agent.sales.price(
            "p6", [line("ANY-SKU", price="3.00", category="limpeza"), line("ARROZ", price="24.90")]
        )
        assert [(ln["sku"], ln["name"], ln["net"]) for ln in quote["lines"]] == [
            ("ANY-SKU", None, "2.70"),
            ("ARROZ", None, "21.90"),
        ]
        answer = agent.sales.finalise("p6")
        slip = slip_fields(answer | {"member_name": "Maria Silva"}, "Loja Centro")
        assert [ln["description"] for ln in slip["lines"]] == ["ANY-SKU", "ARROZ"]
    finally:
        agent.close()


def test_e2e_products_imported_at_the_server_reach_the_till(tmp_path: Path) -> None:
    """GIVEN products imported at a real server WHEN the agent syncs over HTTP
    THEN the cache holds them, an unknown SKU is refused at the till, and a sale of a known
    one reaches the server with the catalogue's category."""
    csv = "sku,name,category,brand\nARROZ,Arroz Tio João 5kg,mercearia,Tio João\n"
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        import_products(SqlUnitOfWork.for_app(srv.app), parse_products_csv(csv.encode()))
        body = agent_register(srv.url, registration_code(srv.app))
        write_credential(
            tmp_path / "credential.json",
            Credential(body["credential"], body["terminal_id"], body["store_id"]),
        )
        agent = Agent(load_config(write_config(tmp_path, srv.url)))
        agent.start()
        try:
            wait_for(lambda: agent.lookups.product_by_sku("ARROZ") is not None)
            assert read_meta(agent.cache_conn, "snapshot_done") == "1"
            with pytest.raises(UnknownSku, match="'FEIJAO'"):
                agent.sales.price("e1", [line("ARROZ", price="24.90"), line("FEIJAO")])
            agent.sales.identify("e1", card_number(1))
            quote = agent.sales.price("e1", [line("ARROZ", price="24.90")])
            assert quote["lines"][0]["name"] == "Arroz Tio João 5kg"
            agent.sales.finalise("e1")
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            with new_session(srv.app) as s:
                rows = list(s.execute(select(SaleLine.sku, SaleLine.category_id)))
            assert [tuple(r) for r in rows] == [("ARROZ", "mercearia")]

            # A later import arrives by the changes feed, not only the snapshot.
            more = "sku,name,category,brand\nFEIJAO,Feijão Camil 1kg,mercearia,Camil\n"
            import_products(SqlUnitOfWork.for_app(srv.app), parse_products_csv(more.encode()))
            wait_for(lambda: agent.lookups.product_by_sku("FEIJAO") is not None)
            again = agent.sales.price("e2", [line("FEIJAO", price="8.50")])
            assert again["lines"][0]["name"] == "Feijão Camil 1kg"
        finally:
            agent.close()
