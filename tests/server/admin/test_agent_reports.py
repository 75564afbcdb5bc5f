"""The status an agent sends with each sync request reaches the store page: queue depth, the
age of the oldest unsent event and the last sync error (cleared when the agent reports none).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from server.api.telemetry import Report, parse_report

from ..conftest import register_till
from .conftest import Office


def _row(page: str, terminal_id: str) -> str:
    return page[page.index(f"{terminal_id} · ") :].split("</tr>")[0]


def test_the_oldest_unsent_age_and_last_error_show_on_the_store_page(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    till = register_till(app, client, "LOJA-01")
    status = {
        "X-Tillclub-Agent-Version": "0.1.0",
        "X-Tillclub-Queue-Depth": "12",
        "X-Tillclub-Oldest-Event-Age": "842.5",
        "X-Tillclub-Last-Error": "POST /api/v1/events: ConnectionError",
    }
    assert client.get("/api/v1/changes?cursor=0", headers=till.headers | status).status_code == 200
    row = _row(office.get("/admin/stores/LOJA-01").get_data(as_text=True), till.terminal_id)
    assert '<td class="num oldest">842</td>' in row
    assert '<td class="last-error">POST /api/v1/events: ConnectionError</td>' in row
    assert ">12<" in row

    # The link is back: the agent reports no error and an empty queue.
    status |= {
        "X-Tillclub-Queue-Depth": "0",
        "X-Tillclub-Oldest-Event-Age": "0",
        "X-Tillclub-Last-Error": "",
    }
    assert client.get("/api/v1/changes?cursor=0", headers=till.headers | status).status_code == 200
    row = _row(office.get("/admin/stores/LOJA-01").get_data(as_text=True), till.terminal_id)
    assert '<td class="last-error">—</td>' in row
    assert '<td class="num oldest">0</td>' in row


def test_malformed_values_are_ignored_and_an_error_is_kept_printable_and_short() -> None:
    assert parse_report(
        {"X-Tillclub-Oldest-Event-Age": "-5", "X-Tillclub-Queue-Depth": "x"}
    ) == Report(None, None)
    assert parse_report({"X-Tillclub-Oldest-Event-Age": "1e9"}).oldest_age_s is None
    error = parse_report({"X-Tillclub-Last-Error": "GET /x: \x1b[31mboom" + "!" * 300})
    assert error.last_error is not None
    assert error.last_error.startswith("GET /x: ?[31mboom!")
    assert len(error.last_error) == 200
