"""Terminal registration: a one-time code becomes a credential once, on the new path and on
its deprecated alias (``/terminals/enrol``, tills deployed before the rename); revoked terminals
get 401."""

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

from .conftest import Till, register_till

NEW, OLD = "/api/v1/terminals/register", "/api/v1/terminals/enrol"


@pytest.mark.parametrize(
    ("path", "refusal"), [(NEW, "invalid_registration_code"), (OLD, "invalid_enrolment_code")]
)
def test_registration_code_works_once_and_only_a_hash_is_stored(
    app: Flask, client: FlaskClient, path: str, refusal: str
) -> None:
    till = register_till(app, client)
    reg = register_terminal(SqlUnitOfWork.for_app(app), till.store_id, "PDV 2", ttl_hours=1)
    code = reg.registration_code
    first = client.post(path, json={"code": code.lower().replace("-", " ")})
    assert first.status_code == 201
    body = first.get_json()
    assert (body["terminal_id"], body["store_id"]) == (reg.terminal_id, till.store_id)
    credential = body["credential"]
    again = client.post(path, json={"code": code})
    assert again.status_code == 403
    assert again.get_json()["code"] == refusal
    with new_session(app) as s:
        row = s.get_one(Terminal, reg.terminal_id)
        assert row.status is TerminalStatus.ACTIVE
        assert row.registration_code_hash is None
        assert row.registered_at is not None
        assert row.credential_hash == sha256_hex(credential.split(".")[2])
        assert credential not in repr(row.__dict__)
    # the credential works whichever path gave it
    headers = {"Authorization": f"Bearer {credential}"}
    assert client.get("/api/v1/changes", headers=headers).status_code == 200


def test_the_old_path_says_it_is_deprecated_and_the_new_one_does_not(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    codes = [
        register_terminal(SqlUnitOfWork.for_app(app), till.store_id, f"PDV {n}", ttl_hours=1)
        for n in (4, 5)
    ]
    old = client.post(OLD, json={"code": codes[0].registration_code})
    new = client.post(NEW, json={"code": codes[1].registration_code})
    assert (old.status_code, new.status_code) == (201, 201)
    assert old.headers["Deprecation"] == "true"
    assert old.headers["Link"] == f'<{NEW}>; rel="successor-version"'
    assert "Deprecation" not in new.headers
    assert old.get_json().keys() == new.get_json().keys()


def test_a_code_taken_on_one_path_is_spent_on_the_other(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    reg = register_terminal(SqlUnitOfWork.for_app(app), till.store_id, "PDV 6", ttl_hours=1)
    assert client.post(OLD, json={"code": reg.registration_code}).status_code == 201
    assert client.post(NEW, json={"code": reg.registration_code}).status_code == 403


def test_expired_registration_code_is_refused(app: Flask, client: FlaskClient, till: Till) -> None:
    reg = register_terminal(SqlUnitOfWork.for_app(app), till.store_id, "PDV 3", ttl_hours=1)
    with new_session(app) as s, s.begin():
        s.execute(
            update(Terminal)
            .where(Terminal.id == reg.terminal_id)
            .values(registration_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    r = client.post(NEW, json={"code": reg.registration_code})
    assert r.status_code == 403
    assert r.get_json()["code"] == "invalid_registration_code"


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
