"""The file-exchange plugin, on a real folder."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.filedrop import FiledropPlugin, write_atomically

from .conftest import FakePort


def _drop(folder: Path, request_id: str, payload: dict[str, Any]) -> None:
    write_atomically(folder / "requests" / f"{request_id}.json", payload)


def _answer(folder: Path, request_id: str, timeout: float = 5) -> dict[str, Any]:
    path = folder / "responses" / f"{request_id}.json"
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"no response {path.name}"
        time.sleep(0.02)
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _wait_for(path: Path, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.fixture
def plugin(port: FakePort, tmp_path: Path) -> Iterator[FiledropPlugin]:
    p = FiledropPlugin(port, {"folder": str(tmp_path), "poll_ms": 10, "stale_seconds": 0.3})
    p.start()
    try:
        yield p
    finally:
        p.stop()


def test_request_gets_one_response_and_is_archived(plugin: FiledropPlugin, port: FakePort) -> None:
    """GIVEN a running plugin WHEN the POS drops a request THEN one answer comes back."""
    folder = plugin.folder
    lines = [{"sku": "club", "qty": "1", "unit_price": "3.00"}]
    _drop(folder, "0001", {"operation": "price", "sale_id": "F1", "lines": lines})
    answer = _answer(folder, "0001")
    assert answer["ok"] is True
    assert answer["request_id"] == "0001"
    assert answer["result"]["total"] == "2.00"
    # the request moves to processed/ just after its answer is written: wait for it
    _wait_for(folder / "processed" / "0001.json")
    assert list((folder / "requests").iterdir()) == []
    assert list((folder / "responses").glob("*.tmp")) == []


def test_a_re_dropped_request_is_not_executed_twice(port: FakePort, tmp_path: Path) -> None:
    """GIVEN an answered finalise WHEN the POS drops the same file again after a restart
    THEN the agent does not run it again."""
    first = FiledropPlugin(port, {"folder": str(tmp_path)})
    for d in first.dirs.values():
        d.mkdir()
    _drop(tmp_path, "fin-1", {"operation": "price", "sale_id": "F1", "lines": []})
    assert first.scan_once() == 1
    calls = len(port.calls)
    _drop(tmp_path, "fin-1", {"operation": "price", "sale_id": "F1", "lines": []})
    again = FiledropPlugin(port, {"folder": str(tmp_path)})  # a fresh process: no memory
    assert again.scan_once() == 1
    assert len(port.calls) == calls
    assert (tmp_path / "processed" / "fin-1.json").exists()


def test_half_written_file_waits_then_is_refused(plugin: FiledropPlugin, port: FakePort) -> None:
    folder = plugin.folder
    (folder / "requests" / "half.json").write_text('{"operation": "pri', encoding="utf-8")
    time.sleep(0.1)
    assert not (folder / "responses" / "half.json").exists()  # still within stale_seconds
    answer = _answer(folder, "half")
    assert answer["error"]["code"] == "malformed_request"
    _wait_for(folder / "failed" / "half.json")
    assert port.calls == []


def test_a_request_completed_in_place_is_answered(plugin: FiledropPlugin) -> None:
    folder = plugin.folder
    path = folder / "requests" / "slow.json"
    path.write_text('{"operation": "cancel", ', encoding="utf-8")
    time.sleep(0.05)
    path.write_text('{"operation": "cancel", "sale_id": "Z"}', encoding="utf-8")
    assert _answer(folder, "slow")["result"] == {"pos_sale_id": "Z", "status": "cancelled"}


def test_tmp_files_are_ignored(plugin: FiledropPlugin) -> None:
    folder = plugin.folder
    (folder / "requests" / "x.tmp").write_text("{", encoding="utf-8")
    time.sleep(0.5)
    assert list((folder / "responses").iterdir()) == []


def test_bad_names_and_non_objects(plugin: FiledropPlugin, port: FakePort) -> None:
    folder = plugin.folder
    (folder / "requests" / "-bad name!.json").write_text("{}", encoding="utf-8")
    _drop(folder, "list", [1, 2])  # type: ignore[arg-type]
    assert _answer(folder, "list")["error"]["code"] == "malformed_request"
    _wait_for(folder / "failed" / "-bad name!.json")
    invalid = [p for p in (folder / "responses").iterdir() if p.name.startswith("invalid-name-")]
    assert len(invalid) == 1
    assert port.calls == []


def test_write_atomically_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    write_atomically(target, {"a": "ç"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "ç"}
    assert sorted(os.listdir(tmp_path)) == ["a.json"]


def test_processed_requests_keep_no_cpf_card_phone_email_or_name(
    port: FakePort, tmp_path: Path
) -> None:
    """GIVEN an enrolment and an identification by card dropped by the POS WHEN answered
    THEN the copies kept in processed/ (and the folder's files) hold none of the shopper's
    data, and the answer is the port's."""
    plugin = FiledropPlugin(port, {"folder": str(tmp_path)})
    for d in plugin.dirs.values():
        d.mkdir()
    shopper = {
        "name": "Ana Lima",
        "cpf": "390.533.447-05",
        "card_number": "2900000000773",
        "phone": "(11) 91234-5678",
        "email": "ana.lima@example.com",
        "birth_date": "1990-05-17",
        "consent_terms": True,
    }
    _drop(tmp_path, "e1", {"operation": "enrol", "sale_id": "F1", **shopper})
    _drop(tmp_path, "i1", {"operation": "identify", "sale_id": "F2", "code": "2900000000773"})
    _drop(tmp_path, "i2", {"operation": "identify", "sale_id": "F3", "code": "39053344705"})
    assert plugin.scan_once() == 3
    assert port.calls[0] == ("enrol", ("F1", shopper))  # the port got them in clear
    kept = json.loads((tmp_path / "processed" / "e1.json").read_text(encoding="utf-8"))
    assert kept["operation"] == "enrol"
    assert kept["consent_terms"] is True
    assert kept["cpf"] == kept["card_number"] == kept["name"] == "[redacted]"
    clear = ["390.533.447-05", "39053344705", "2900000000773", "91234-5678", "ana.lima@", "Lima"]
    for f in tmp_path.rglob("*.json"):
        text = f.read_text(encoding="utf-8")
        assert [c for c in clear if c in text] == [], f.name
    # A re-dropped request (answered before a crash) is kept redacted too.
    _drop(tmp_path, "i1", {"operation": "identify", "sale_id": "F2", "code": "2900000000773"})
    assert FiledropPlugin(port, {"folder": str(tmp_path)}).scan_once() == 1
    assert "2900000000773" not in (tmp_path / "processed" / "i1.json").read_text()
