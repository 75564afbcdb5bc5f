"""The loopback JSON API, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from plugins.http import HttpPlugin

from .conftest import FakePort, slip_of

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def api(port: FakePort) -> Iterator[tuple[str, FakePort]]:
    plugin = HttpPlugin(port, {"secret": SECRET, "port": 0}, slip_of(port))
    plugin.start()
    try:
        yield plugin.url, port
    finally:
        plugin.stop()


def _s() -> requests.Session:
    session = requests.Session()
    session.headers["X-Tillclub-Secret"] = SECRET
    return session


def test_a_whole_sale_over_http(api: tuple[str, FakePort]) -> None:
    """GIVEN the plugin on loopback WHEN a POS runs a sale THEN each step answers 200."""
    url, port = api
    s = _s()
    assert s.post(f"{url}/v1/sales/A1/identify", json={"code": "TC42"}).status_code == 200
    lines = [{"sku": "club", "qty": "3", "unit_price": "4.50"}]
    priced = s.put(f"{url}/v1/sales/A1/basket", json={"lines": lines}).json()
    assert priced["result"]["total"] == "10.50"
    assert s.put(f"{url}/v1/sales/A1/tenders/points", json={"points": 100}).status_code == 200
    done = s.post(f"{url}/v1/sales/A1/finalise")
    assert done.json() == {"ok": True, "result": {"pos_sale_id": "A1", "sale_id": "S-0"}}
    assert s.get(f"{url}/v1/sales/A1/slip").json()["result"]["text"] == "SLIP A1"
    refund = s.post(f"{url}/v1/sales/A1/refunds", json={"refund_id": "R1", "amount": "2.00"})
    assert refund.json()["result"] == {"refund_id": "R1", "amount": "2.00"}
    assert s.delete(f"{url}/v1/sales/B9").json()["result"]["status"] == "cancelled"
    assert [c[0] for c in port.calls] == [
        "identify", "price", "apply_points", "finalise", "refund", "cancel"
    ]  # fmt: skip


def test_secret_is_required(api: tuple[str, FakePort]) -> None:
    url, port = api
    assert requests.get(f"{url}/v1/health", timeout=5).status_code == 200
    r = requests.post(f"{url}/v1/sales/A1/identify", json={"code": "x"}, timeout=5)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    wrong = requests.post(
        f"{url}/v1/sales/A1/identify", json={}, headers={"X-Tillclub-Secret": "nope"}, timeout=5
    )
    assert wrong.status_code == 401
    assert port.calls == []


def test_idempotency_key_replays_the_first_answer(api: tuple[str, FakePort]) -> None:
    url, port = api
    s = _s()
    s.put(
        f"{url}/v1/sales/A1/basket", json={"lines": [{"sku": "x", "qty": "1", "unit_price": "1"}]}
    )
    headers = {"Idempotency-Key": "pos-op-1"}
    first = s.post(f"{url}/v1/sales/A1/vouchers", json={"code": "V1"}, headers=headers)
    second = s.post(f"{url}/v1/sales/A1/vouchers", json={"code": "V1"}, headers=headers)
    assert first.json() == second.json()
    assert sum(1 for c in port.calls if c[0] == "apply_voucher") == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PUT", "/v1/sales/A1/basket", b"{not json", 400, "malformed_request"),
        ("PUT", "/v1/sales/A1/basket", b"[1, 2]", 400, "malformed_request"),
        ("PUT", "/v1/sales/A1/tenders/points", b'{"points": "many"}', 400, "malformed_request"),
        ("POST", "/v1/sales/A1/vouchers", b'{"code": "V"}', 404, "no_such_sale"),
        ("GET", "/v1/nowhere", b"", 404, "malformed_request"),
        ("PATCH", "/v1/sales/A1/basket", b"{}", 405, "malformed_request"),
        ("PUT", "/v1/sales/A1/basket", b'{"lines": "' + b"x" * 300_000 + b'"}', 413,
         "malformed_request"),
    ],
)  # fmt: skip
def test_bad_requests(
    api: tuple[str, FakePort], method: str, path: str, body: bytes, status: int, code: str
) -> None:
    url, port = api
    r = _s().request(
        method, url + path, data=body, headers={"Content-Type": "application/json"}, timeout=5
    )
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert port.recorded == {}


def test_refuses_a_short_secret(port: FakePort) -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        HttpPlugin(port, {"secret": "short"})


def test_openapi_document_matches_the_routes(port: FakePort) -> None:
    """docs/pos-http-api.json lists exactly the routes the plugin serves."""
    import json
    from pathlib import Path

    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "pos-http-api.json").read_text("utf-8")
    )
    documented = {
        (method.upper(), path.replace("{sale}", "<sale>"))
        for path, ops in doc["paths"].items()
        for method in ops
    }
    app = HttpPlugin(port, {"secret": SECRET}).app
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert documented == served
