"""The OpenAPI document matches the real API: schemathesis, an independent client, sends
generated requests over real HTTP and fails on any 5xx or response that breaks the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from server.api.openapi import STORED, rendered
from tests.support.live import start_serving

from .conftest import Till


def test_stored_document_is_the_served_one(client: object) -> None:
    """``server/api/openapi.json`` is regenerated with ``tillclub server openapi``."""
    served = client.get("/api/v1/openapi.json")  # type: ignore[attr-defined]
    assert served.status_code == 200
    assert served.get_json() == json.loads(rendered())
    assert STORED.read_text(encoding="utf-8") == rendered()


@pytest.fixture
def live(app: Flask, till: Till) -> Iterator[tuple[str, Till]]:
    served = start_serving(app)
    try:
        yield served.url, till
    finally:
        served.stop()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_openapi_document(live: tuple[str, Till], mode: GenerationMode) -> None:
    base, till = live
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # openapi.json itself is not fuzzed; /terminals/enrol is the deprecated alias of /register
    assert len(operations) == 7

    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
            continue  # nothing in the request to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=till.headers)

        check()
