"""Terminal enrolment: a one-time code becomes a credential once; revoked terminals get 401."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.db import new_session
from server.models import Terminal, TerminalStatus
from server.security import sha256_hex
from server.services.terminals import TerminalError, register_terminal, revoke_terminal
from server.services.uow import SqlUnitOfWork

from .conftest import Till, enrol_till


def test_enrolment_code_works_once_and_only_a_hash_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    till = enrol_till(app, client)
    reg = register_terminal(SqlUnitOfWork.for_app(app), till.store_id, "PDV 2", ttl_hours=1)
    code = reg.enrolment_code
    first = client.post("/api/v1/terminals/enrol", json={"code": code.lower().replace("-", " ")})
    assert first.status_code == 201
    credential = first.get_json()["credential"]
    again = client.post("/api/v1/terminals/enrol", json={"code": code})
    assert again.status_code == 403
    assert again.get_json()["code"] == "invalid_enrolment_code"
    with new_session(app) as s:
        row = s.get_one(Terminal, reg.terminal_id)
        assert row.status is TerminalStatus.ACTIVE
        assert row.enrolment_code_hash is None
        assert row.credential_hash == sha256_hex(credential.split(".")[2])
        assert credential not in repr(row.__dict__)


def test_expired_enrolment_code_is_refused(app: Flask, client: FlaskClient, till: Till) -> None:
    reg = register_terminal(SqlUnitOfWork.for_app(app), till.store_id, "PDV 3", ttl_hours=1)
    with new_session(app) as s, s.begin():
        s.execute(
            update(Terminal)
            .where(Terminal.id == reg.terminal_id)
            .values(enrolment_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    r = client.post("/api/v1/terminals/enrol", json={"code": reg.enrolment_code})
    assert r.status_code == 403
    assert r.get_json()["code"] == "invalid_enrolment_code"


def test_register_needs_a_known_store(app: Flask) -> None:
    with pytest.raises(TerminalError, match="unknown store 'NOPE'"):
        register_terminal(SqlUnitOfWork.for_app(app), "NOPE", "PDV", ttl_hours=1)


def test_revoked_terminal_gets_401_on_every_call(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    assert client.get("/api/v1/changes", headers=till.headers).status_code == 200
    revoke_terminal(SqlUnitOfWork.for_app(app), till.terminal_id)
    for method, path, kw in [
        ("get", "/api/v1/changes", {}),
        ("get", "/api/v1/snapshot", {}),
        ("post", "/api/v1/events", {"json": {"events": []}}),
    ]:
        r = getattr(client, method)(path, headers=till.headers, **kw)
        assert r.status_code == 401
        assert r.get_json()["code"] == "terminal_revoked"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic abc",
        "Bearer ",
        "Bearer tc1.T000.short",
        "Bearer tc1.TNOPE.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
)
def test_missing_or_bad_credential_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/changes", headers=headers)
    assert r.status_code == 401
    assert r.get_json() == {
        "code": "unauthorized",
        "message": "missing or invalid terminal credential",
    }


def test_wrong_secret_for_a_real_terminal_is_401(client: FlaskClient, till: Till) -> None:
    prefix, terminal_id, secret = till.credential.split(".")
    forged = f"{prefix}.{terminal_id}.{'A' * len(secret)}"
    r = client.get("/api/v1/changes", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_last_seen_is_recorded(app: Flask, client: FlaskClient, till: Till) -> None:
    client.get("/api/v1/changes", headers=till.headers)
    with new_session(app) as s:
        seen = s.scalars(select(Terminal.last_seen_at).where(Terminal.id == till.terminal_id)).one()
    assert seen is not None
    assert seen.tzinfo is not None
