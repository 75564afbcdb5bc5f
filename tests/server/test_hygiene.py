"""API hygiene: JSON errors with stable codes, size limits, per-terminal rate limits, probes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from server.errors import ErrorCode

from .conftest import Till, register_till

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_paths_and_methods_answer_json(client: FlaskClient) -> None:
    r = client.get("/api/v1/nope")
    assert (r.status_code, r.get_json()["code"]) == (404, "not_found")
    r = client.delete("/api/v1/events")
    assert (r.status_code, r.get_json()["code"]) == (405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_every_error_code_is_a_documented_enum_value(client: FlaskClient) -> None:
    """Each code is listed in the protocol guide's error section and served in the OpenAPI
    document, and each is raised somewhere (an unused code is a promise nobody keeps)."""
    doc = client.get("/api/v1/openapi.json").get_json()
    served = doc["components"]["schemas"]["ErrorCode"]["enum"]
    guide = (ROOT / "docs" / "sync-protocol.md").read_text(encoding="utf-8")
    errors_section = guide.split(". Errors and limits\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", errors_section))
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "server").rglob("*.py")
        if path.name != "openapi.py"
    )
    for code in ErrorCode:
        assert code.value in served, code
        assert code.value in documented, f"{code.value} not in the guide's errors"
        assert source.count(f"ErrorCode.{code.name}") >= 1, f"{code.name} is never raised"
    assert not {c for c in served} - {c.value for c in ErrorCode}


def test_bodies_over_the_limit_are_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    till = register_till(app, client)
    r = client.post("/api/v1/events", json={"events": ["x" * 2000]}, headers=till.headers)
    assert (r.status_code, r.get_json()["code"]) == (413, "payload_too_large")


def test_rate_limit_is_per_terminal(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_TERMINAL="3/minute")
    client = app.test_client()
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")
    codes = [client.get("/api/v1/changes", headers=a.headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/changes", headers=a.headers)
    assert r.get_json()["code"] == "rate_limited"
    assert "Retry-After" in r.headers
    assert (
        client.get("/api/v1/changes", headers=b.headers).status_code == 200
    )  # B has its own budget


def test_health_and_readiness(app: Flask, client: FlaskClient, till: Till) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"


def test_readiness_fails_on_an_unmigrated_database(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(f"sqlite:///{tmp_path}/blank.db")
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "not_ready"
