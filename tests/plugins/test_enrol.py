"""Enrolment at the till through every transport: the dispatcher, file drop, the simulated POS
and the HTTP plugin in front of a real agent (journal and cache files)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from agent.service import Agent
from loyalty.identification import card_number
from plugins.dispatch import Dispatcher
from plugins.filedrop import FiledropPlugin
from plugins.http import HttpPlugin
from plugins.simulated import Product, SimulatedPos
from tests.agent.sale.world import Clock, campaign_change, make_agent

from .conftest import FakePort
from .test_filedrop import _answer, _drop

SECRET = "s3cret-s3cret-s3cret"
ANA = {"name": "Ana Lima", "cpf": "390.533.447-05", "consent_terms": True}


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    a = make_agent(tmp_path, [campaign_change(1)], Clock())
    yield a
    a.close()


@pytest.fixture
def api(agent: Agent) -> Iterator[str]:
    plugin = HttpPlugin(agent.sales, {"secret": SECRET, "port": 0})
    plugin.start()
    try:
        yield plugin.url
    finally:
        plugin.stop()


def _s() -> requests.Session:
    session = requests.Session()
    session.headers["X-Tillclub-Secret"] = SECRET
    return session


def test_dispatcher_passes_the_shoppers_fields_without_the_envelope(port: FakePort) -> None:
    answer = Dispatcher(port).handle(
        {"operation": "enrol", "sale_id": "S1", "operation_id": "op-1"} | ANA
    )
    assert answer["ok"] is True
    assert port.calls == [("enrol", ("S1", ANA))]


def test_filedrop_enrols(port: FakePort, tmp_path: Path) -> None:
    plugin = FiledropPlugin(port, {"folder": str(tmp_path), "poll_ms": 10})
    plugin.start()
    try:
        _drop(tmp_path, "0001", {"operation": "enrol", "sale_id": "F1"} | ANA)
        answer = _answer(tmp_path, "0001")
    finally:
        plugin.stop()
    assert answer["ok"] is True
    assert answer["result"]["member_id"] == "m-new"
    assert port.calls == [("enrol", ("F1", ANA))]


def test_enrol_over_http_then_the_sale_earns(api: str) -> None:
    """GIVEN the HTTP plugin in front of a real agent WHEN the POS prices, enrols the shopper
    and finalises THEN the club price applies and the new member earns on this sale."""
    s = _s()
    basket = {"lines": [{"sku": "ARROZ", "qty": "1", "unit_price": "24.90"}]}
    assert s.put(f"{api}/v1/sales/A1/basket", json=basket).json()["result"]["total"] == "24.90"
    r = s.post(f"{api}/v1/sales/A1/enrol", json=ANA | {"card_number": card_number(77)})
    assert r.status_code == 200
    joined = r.json()["result"]
    assert (joined["member_id"], joined["cpf"], joined["identified"]) == (
        "77",
        "***.533.447-**",
        True,
    )
    done = s.post(f"{api}/v1/sales/A1/finalise").json()["result"]
    assert (done["member_id"], done["total"], done["points_earned"]) == ("77", "21.90", 21)
    who = s.post(f"{api}/v1/sales/A2/identify", json={"code": "39053344705"}).json()["result"]
    assert who["member"]["id"] == "77"
    assert who["balance"]["points"] == 21


def test_a_pos_retry_over_http_gets_the_first_answer(api: str, agent: Agent) -> None:
    s = _s()
    key = {"Idempotency-Key": "enrol-A1"}
    first = s.post(f"{api}/v1/sales/A1/enrol", json=ANA, headers=key).json()
    assert s.post(f"{api}/v1/sales/A1/enrol", json=ANA, headers=key).json() == first
    # a POS that lost the answer and sends it again under a new key: the same member
    again = s.post(f"{api}/v1/sales/A1/enrol", json=ANA, headers={"Idempotency-Key": "x"})
    assert again.json()["result"]["member_id"] == first["result"]["member_id"]
    rows = agent.journal_conn.execute("SELECT count(*) FROM local_members").fetchone()[0]
    assert rows == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Ana"}, 422, "consent_required"),
        (ANA | {"cpf": "390.533.447-04"}, 422, "cpf_invalid"),
        (ANA | {"card_number": "7891000100103"}, 422, "not_member_code"),
        (ANA | {"birth_date": "04/03/1990"}, 400, "bad_request"),
    ],
)
def test_http_refusals_say_why_and_change_nothing(
    api: str, agent: Agent, body: dict[str, Any], status: int, code: str
) -> None:
    r = _s().post(f"{api}/v1/sales/A1/enrol", json=body)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["message_en"]
    assert "390.533.447" not in r.text
    assert "7891000100" not in r.text
    assert agent.journal_conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_the_simulated_pos_enrols_a_shopper_at_payment(agent: Agent) -> None:
    pos = SimulatedPos(
        Dispatcher(agent.sales).handle, {"ARROZ": Product("ARROZ", "Arroz 5 kg", Decimal("24.90"))}
    )
    pos.scan_product("ARROZ")
    assert pos.enrol("Ana Lima", cpf="390.533.447-05")["identified"] is True
    assert pos.last["total"] == "21.90"  # the club price, now that the shopper is a member
    assert "R$ 21,90" in pos.screen()
    assert pos.call("finalise")["points_earned"] == 21


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_enrol_endpoint_conforms_to_docs_pos_http_api(api: str, mode: str) -> None:
    """schemathesis, an independent client, sends generated enrolments (valid and invalid per
    docs/pos-http-api.json) to a real agent: never a 5xx, every status and body as documented,
    and a body the schema forbids is refused."""
    import json

    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import positive_data_acceptance

    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "pos-http-api.json").read_text()
    )
    schema = schemathesis.openapi.from_dict(doc)
    operation = schema["/v1/sales/{sale}/enrol"]["POST"]

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=api, headers={"X-Tillclub-Secret": SECRET})
        assert response.status_code < 500, response.text
        # Check digits, a known CPF or card cannot be said in a schema: a schema-valid body may
        # be refused (422), as documented.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    check()
