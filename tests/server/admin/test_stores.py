"""Stores and terminals from the UI: register (code shown once), enrol over the API, revoke."""

from __future__ import annotations

import html
import re
import shlex

import click
from flask import Flask
from sqlalchemy import select

from agent.cli_commands import DEFAULT_CONFIG
from server.db import new_session
from server.models import AuditLog, Terminal
from tillclub import cli as tillclub_cli

from .conftest import Office


def test_register_enrol_and_revoke_a_terminal(app: Flask, office: Office) -> None:
    assert (
        office.post(
            "/admin/stores", {"store_id": "LOJA-07", "name": "Shopping"}, from_page="/admin/stores"
        ).status_code
        == 302
    )
    dup = office.post(
        "/admin/stores", {"store_id": "LOJA-07", "name": "Again"}, from_page="/admin/stores"
    )
    assert dup.status_code == 400
    assert "exists already" in dup.get_data(as_text=True)
    bad = office.post(
        "/admin/stores", {"store_id": "LOJA 7!", "name": "Bad"}, from_page="/admin/stores"
    )
    assert bad.status_code == 400
    page = office.post(
        "/admin/stores/LOJA-07/terminals", {"name": "PDV 1"}, from_page="/admin/stores/LOJA-07"
    )
    html = page.get_data(as_text=True)
    code = re.search(r'id="registration-code">([A-Z0-9-]{19})<', html)
    assert code, html
    client = app.test_client()
    enrolled = client.post("/api/v1/terminals/register", json={"code": code.group(1)})
    assert enrolled.status_code == 201
    body = enrolled.get_json()
    headers = {"Authorization": f"Bearer {body['credential']}"}
    assert client.get("/api/v1/changes?cursor=0", headers=headers).status_code == 200
    assert code.group(1) not in office.get("/admin/stores/LOJA-07").get_data(
        as_text=True
    )  # shown once
    r = office.post(
        f"/admin/terminals/{body['terminal_id']}/revoke", from_page="/admin/stores/LOJA-07"
    )
    assert r.status_code == 302
    denied = client.get("/api/v1/changes?cursor=0", headers=headers)
    assert denied.status_code == 401
    assert denied.get_json()["code"] == "terminal_revoked"
    with new_session(app) as s:
        assert s.get_one(Terminal, body["terminal_id"]).status.value == "revoked"
        mine = s.scalars(
            select(AuditLog).where(
                AuditLog.actor_type == "admin", AuditLog.action.like("terminal.%")
            )
        ).all()
        assert [(a.action, a.detail["after"]["status"]) for a in mine] == [
            ("terminal.register", "pending"),
            ("terminal.revoke", "revoked"),
        ]


def _parse_with_the_cli(words: list[str]) -> click.Context:
    """``words`` (after ``tillclub``) resolved and parsed by the real CLI, nothing run."""
    command: click.Command = tillclub_cli.main
    ctx = command.make_context("tillclub", [], resilient_parsing=True)
    rest = list(words)
    while isinstance(command, click.Group):
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None, name
        command = found
        ctx = command.make_context(name or "", [], parent=ctx, resilient_parsing=True)
    return command.make_context(command.name or "", rest, parent=ctx.parent)


def test_the_registration_command_shown_is_the_real_cli(app: Flask, office: Office) -> None:
    """After registering, the page shows ``tillclub agent register --config --server --code``
    with this server and the code filled in, and the real CLI parses exactly that line."""
    office.post(
        "/admin/stores", {"store_id": "LOJA-08", "name": "Centro"}, from_page="/admin/stores"
    )
    page = office.post(
        "/admin/stores/LOJA-08/terminals", {"name": "PDV 1"}, from_page="/admin/stores/LOJA-08"
    ).get_data(as_text=True)
    code = re.search(r'id="registration-code">([A-Z0-9-]{19})<', page)
    shown = re.search(r'id="register-command">([^<]+)<', page)
    assert code
    assert shown, page
    words = shlex.split(html.unescape(shown.group(1)))
    assert "enrol" not in words
    assert words[:3] == ["tillclub", "agent", "register"]
    ctx = _parse_with_the_cli(words[1:])
    assert ctx.command.name == "register"
    assert ctx.params["server_url"] == "http://localhost"
    assert ctx.params["code"] == code.group(1)
    assert str(ctx.params["config_path"]) == DEFAULT_CONFIG
