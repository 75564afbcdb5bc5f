"""Logs are JSON lines and never carry a CPF, a card number or a credential."""

from __future__ import annotations

import io
import json
import logging

from flask import Flask

from server.logging import JsonFormatter, scrub

from .conftest import Till


def test_scrub_masks_cpfs_cards_and_credentials() -> None:
    text = (
        "cpf 390.533.447-05 raw 39053344705 card 2900000000018 "
        "auth Bearer tc1.T1.abcdefghijklmnopqrstuvwxyzABCDEF"
    )
    clean = scrub(text)
    for secret in ("390.533.447-05", "39053344705", "2900000000018", "abcdefghijklmnop"):
        assert secret not in clean
    assert "T1" not in clean.split("tc1.")[-1] or clean.endswith("[credential]")


def test_formatter_scrubs_extra_fields_too() -> None:
    record = logging.LogRecord(
        "tillclub.x", logging.INFO, __file__, 1, "member %s", ("39053344705",), None
    )
    record.card = "2900000000018"
    doc = json.loads(JsonFormatter().format(record))
    assert doc["msg"] == "member [number]"
    assert doc["card"] == "[number]"
    assert doc["level"] == "info"


def test_a_real_push_and_pull_log_no_personal_data(app: Flask, till: Till) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tillclub")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    enrol = till.header("enrolment") | {
        "member_id": "M-1",
        "name": "Maria",
        "cpf": "390.533.447-05",
        "consent_terms": True,
        "card_number": "2900000000018",
    }
    till.push([enrol, {"type": "enrolment", "event_id": "bad", "cpf": "39053344705"}])
    till.client.get("/api/v1/changes", headers=till.headers)
    logger.removeHandler(handler)
    blob = stream.getvalue()
    assert '"msg": "events pushed"' in blob
    assert '"msg": "request"' in blob
    for secret in ("39053344705", "390.533.447-05", "2900000000018", till.credential.split(".")[2]):
        assert secret not in blob
