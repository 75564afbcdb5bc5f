"""The till's upper bounds and money types at the POS API (issue 28, defect 8).

A real agent on SQLite files behind the real HTTP plugin app (Flask's test client, no socket):
what a POS sends beyond the configured ``[limits]``, a JSON float price, ``1e400``, NaN,
``Infinity`` or a 5,000-digit number gets a clear error code, pt-BR and English, never a 500,
and nothing is priced or kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from agent.config import ConfigError, load_config
from agent.service import Agent
from plugins.dispatch import Dispatcher
from plugins.http import create_pos_app
from tests.agent.sale.world import (
    Clock,
    campaign_change,
    fake_credential,
    seed_cache,
    write_config,
)

SECRET = "s" * 24
LIMITS = 'max_unit_price_brl = "5000.00"\nmax_quantity = "500"\nmax_line_amount_brl = "20000.00"\n'
LIMITS += 'max_sale_total_brl = "30000.00"\nmax_lines = 3\n'


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    path = write_config(tmp_path, limits=LIMITS)
    fake_credential(tmp_path)
    seed_cache(tmp_path / "cache.sqlite3", [campaign_change(1)])
    a = Agent(load_config(path), Clock())
    yield a
    a.close()


@pytest.fixture
def pos(agent: Agent) -> FlaskClient:
    return create_pos_app(Dispatcher(agent.sales), SECRET).test_client()


def put_basket(pos: FlaskClient, body: Any, sale: str = "PDV-1") -> tuple[int, dict[str, Any]]:
    headers = {"X-Tillclub-Secret": SECRET, "Content-Type": "application/json"}
    data = body if isinstance(body, str) else None
    kw: dict[str, Any] = {"data": data} if data is not None else {"json": body}
    r = pos.put(f"/v1/sales/{sale}/basket", headers=headers, **kw)
    return r.status_code, r.get_json()


def lines(*items: tuple[Any, Any]) -> dict[str, Any]:
    return {"lines": [{"sku": f"SKU{i}", "qty": q, "unit_price": p} for i, (q, p) in
                      enumerate(items, 1)]}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field_en", "field_pt"),
    [
        (lines(("1", "5000.01")), "line 1: unit_price", "linha 1: preço unitário"),
        (lines(("501", "1.00")), "line 1: qty", "linha 1: quantidade"),
        (lines(("5", "4500.00")), "line 1: amount", "linha 1: valor"),
        (lines(("4", "4000.00"), ("4", "4000.00")), "sale total", "total da venda"),
        (lines(*[("1", "1.00")] * 4), "number of lines", "número de itens"),
        (lines(("1", "99999999999.99")), "line 1: unit_price", "linha 1: preço unitário"),
        (lines(("1", "1e400")), "line 1: unit_price", "linha 1: preço unitário"),
        (lines(("1", "9" * 5000)), "line 1: unit_price", "linha 1: preço unitário"),
        (lines(("1", "Infinity")), "line 1: unit_price", "linha 1: preço unitário"),
        (lines(("1", "NaN")), "line 1: unit_price", "linha 1: preço unitário"),
    ],
)
def test_beyond_the_configured_bounds_is_a_422_with_a_code(
    pos: FlaskClient, agent: Agent, body: Any, field_en: str, field_pt: str
) -> None:
    status, answer = put_basket(pos, body)
    assert status == 422
    error = answer["error"]
    assert error["code"] == "out_of_bounds"
    assert error["message_en"].startswith(field_en)
    assert "beyond the limit" in error["message_en"]
    assert error["message"].startswith(field_pt)
    assert "passa do limite" in error["message"]
    assert "PDV-1" not in agent.sales.open


def test_within_the_bounds_prices(pos: FlaskClient) -> None:
    status, answer = put_basket(pos, lines(("2", "4000.00"), ("500", "1.00")))
    assert status == 200
    assert answer["result"]["total"] == "8500.00"


@pytest.mark.parametrize(
    "raw",
    [
        '{"lines": [{"sku": "A", "qty": "1", "unit_price": 9.99}]}',
        '{"lines": [{"sku": "A", "qty": "1", "unit_price": 1e400}]}',
        '{"lines": [{"sku": "A", "qty": "1", "unit_price": NaN}]}',
        '{"lines": [{"sku": "A", "qty": "1", "unit_price": -Infinity}]}',
    ],
)
def test_a_json_float_price_is_refused(pos: FlaskClient, raw: str) -> None:
    status, answer = put_basket(pos, raw)
    assert status == 422
    assert answer["error"]["code"] == "basket_invalid"
    assert "decimal string" in answer["error"]["message_en"]
    assert "texto decimal" in answer["error"]["message"]


def test_a_5000_digit_json_number_is_a_clear_error(pos: FlaskClient) -> None:
    raw = '{"lines": [{"sku": "A", "qty": "1", "unit_price": ' + "9" * 5000 + "}]}"
    status, answer = put_basket(pos, raw)
    assert status in (400, 422)
    assert answer["ok"] is False
    assert answer["error"]["code"] in ("malformed_request", "out_of_bounds")


def test_an_integer_price_is_refused_as_the_contract_says(pos: FlaskClient) -> None:
    """1250 could be R$ 1.250,00 or R$ 12,50: the contract sends prices as strings only."""
    status, answer = put_basket(pos, '{"lines": [{"sku": "A", "qty": 2, "unit_price": 1250}]}')
    assert (status, answer["error"]["code"]) == (422, "basket_invalid")
    status, answer = put_basket(pos, '{"lines": [{"sku": "A", "qty": 2, "unit_price": "12.50"}]}')
    assert (status, answer["result"]["total"]) == (200, "25.00")


def test_a_bad_limit_in_the_config_names_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, limits='max_unit_price_brl = "-1"\n')
    with pytest.raises(ConfigError, match=r"limits\.max_unit_price_brl \(line \d+\)"):
        load_config(path)


@pytest.mark.parametrize(
    ("field", "size", "limit"), [("sku", 70, 64), ("category", 65, 64), ("brand", 101, 100)]
)
def test_a_text_longer_than_the_server_stores_is_refused(
    pos: FlaskClient, agent: Agent, field: str, size: int, limit: int
) -> None:
    """GIVEN the server stores a SKU in 64 characters WHEN the POS sends 70 THEN the till
    refuses the basket with 422 too_long, naming the line and the length, and prices nothing
    (the server would otherwise refuse the sale after the shopper has left)."""
    line = {"sku": "A", "qty": "1", "unit_price": "1.00", field: "7" * size}
    status, answer = put_basket(pos, {"lines": [line]})
    assert (status, answer["error"]["code"]) == (422, "too_long")
    assert (
        f"line 1: {field} has {size} characters; at most {limit}" in answer["error"]["message_en"]
    )
    assert "caracteres" in answer["error"]["message"]
    assert "PDV-1" not in agent.sales.open


def test_a_refund_reason_longer_than_the_server_stores_is_refused(agent: Agent) -> None:
    from loyalty.bounds import TooLong

    with pytest.raises(TooLong, match="250 characters; at most 200"):
        agent.sales.refund("RF-POS-1", "no-such-sale", "1.00", "r" * 250)
