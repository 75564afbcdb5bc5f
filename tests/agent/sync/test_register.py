"""``agent.sync.register`` against real HTTP on loopback: the new path, and a server from before
the rename that knows only ``/terminals/enrol`` (the code goes there instead)."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from agent.sync import SyncFailed, register
from tests.support.live import serving

ANSWER = {"terminal_id": "T1", "store_id": "LOJA-01", "credential": "tc1.T1.secret"}


def _server(*paths: str) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    seen: list[str] = []

    def view() -> ResponseReturnValue:
        seen.append(request.path)
        if (request.get_json() or {}).get("code") != "GOOD":
            return jsonify(code="invalid", message="unknown code"), 403
        return jsonify(ANSWER), 201

    for path in paths:
        app.add_url_rule(path, path, view, methods=["POST"])
    return app, seen


@pytest.mark.parametrize(
    ("paths", "asked"),
    [
        (["/api/v1/terminals/register"], ["/api/v1/terminals/register"]),
        (["/api/v1/terminals/enrol"], ["/api/v1/terminals/register", "/api/v1/terminals/enrol"]),
    ],
    ids=["current server", "server before the rename"],
)
def test_register_takes_the_path_the_server_knows(paths: list[str], asked: list[str]) -> None:
    app, seen = _server(*paths)
    with serving(app) as url:
        assert register(url, "GOOD", timeout=5) == ANSWER
    assert [p for p in asked if p not in paths] == asked[:-1]  # only a 404 is retried
    assert seen == [asked[-1]]


def test_a_refused_code_is_not_retried_on_the_old_path() -> None:
    app, seen = _server("/api/v1/terminals/register", "/api/v1/terminals/enrol")
    with serving(app) as url, pytest.raises(SyncFailed, match="registration refused .*403"):
        register(url, "BAD", timeout=5)
    assert seen == ["/api/v1/terminals/register"]
