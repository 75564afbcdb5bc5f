"""e2e: a realistic run writes no secret and no personal datum to any log file.

GIVEN ``tillclub server run`` as a process of its own (SQLite, its stderr to ``server.log``: the
JSON logs and the web server's request lines) and an agent logging through its own set-up to
``agent.log`` at DEBUG
WHEN a shopper joins at the till with CPF, card, phone and e-mail, buys with the card, another
joins on the portal and resets a forgotten password by the e-mailed link, and head office logs
in and searches members by CPF (form POST and an old ``?q=`` link), card, phone and e-mail
THEN no log file holds either CPF (punctuated or bare), the card number, a phone (punctuated or
bare), an e-mail address, the reset token, a password or the terminal's credential secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from agent.config import load_config
from agent.logs import configure
from agent.service import Agent, Credential, write_credential
from agent.sync import register
from loyalty.identification import card_number
from server import create_app
from server.db import get_engine
from server.migrate import upgrade
from server.services.admin_accounts import create_admin
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import (
    CPF_SECRET,
    SERVER_SECRETS,
    line,
    registration_code,
    seed_server,
    server_config,
    write_config,
)
from tests.server.portal.conftest import Mailbox, _PortZeroController
from tests.support.net import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
TILL_CPF, TILL_CPF_DIGITS = "390.533.447-05", "39053344705"
WEB_CPF, WEB_CPF_DIGITS = "529.982.247-25", "52998224725"
CARD = card_number(77)
TILL_PHONE, TILL_PHONE_DIGITS = "(11) 91234-5678", "11912345678"
WEB_PHONE, WEB_PHONE_DIGITS = "(21) 98765-4321", "21987654321"
TILL_EMAIL, WEB_EMAIL = "ana.lima@example.com", "bia.souza@example.net"
ADMIN_EMAIL, ADMIN_PASSWORD = "chefe@hq.example", "correct horse battery"
WEB_PASSWORD, NEW_PASSWORD = "correct horse 1", "a brand new passphrase"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _token(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


def _form(http: requests.Session, url: str, data: dict[str, str], page: str | None = None) -> Any:
    form = http.get(page or url, timeout=10)
    assert form.status_code == 200, (url, form.status_code)
    return http.post(url, data={"csrf_token": _token(form.text), **data}, timeout=10)


def _server_toml(tmp: Path, db_url: str, smtp_port: int) -> Path:
    keys = {k.lower(): v for k, v in SERVER_SECRETS.items()}
    lines = [f'database_url = "{db_url}"', 'log_level = "DEBUG"', "ratelimit_enabled = false"]
    lines += [f'{k} = "{v}"' for k, v in keys.items()]
    lines += [f"portal_smtp_port = {smtp_port}", 'portal_smtp_host = "127.0.0.1"']
    path = tmp / "server.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_full_run_logs_no_secret_and_no_personal_data(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(db_url)
    seeding = create_app(server_config(db_url))
    seed_server(seeding)
    code = registration_code(seeding)
    create_admin(
        SqlUnitOfWork.for_app(seeding),
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        role="admin",
        now=dt.datetime.now(dt.UTC),
    )
    get_engine(seeding).dispose()
    # the seeding app set the tillclub loggers to its level: the agent here logs everything
    logging.getLogger("tillclub").setLevel(logging.DEBUG)
    box = Mailbox()
    smtp = _PortZeroController(box)
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_log, agent_log = tmp_path / "server.log", tmp_path / "agent.log"
    config = _server_toml(tmp_path, db_url, smtp.port)
    with server_log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from tillclub.cli import main; main()", "server"]
            + ["--config", str(config), "run", "--port", str(port), "--no-worker"],
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    agent: Agent | None = None
    credential = ""
    try:
        wait_for(lambda: _up(url), timeout=30)
        body = register(url, code)
        credential = body["credential"]
        write_credential(
            tmp_path / "credential.json",
            Credential(credential, body["terminal_id"], body["store_id"]),
        )
        configure("DEBUG", path=agent_log)
        agent = Agent(load_config(write_config(tmp_path, url)))
        agent.start()
        wait_for(lambda: agent is not None and agent.rules.rule_count == 2, timeout=30)
        # At the till: join with everything, then buy again by card and by CPF.
        agent.sales.price("s-1", [line("ARROZ", price="24.90")])
        agent.sales.enrol(
            "s-1",
            {
                "name": "Ana Lima",
                "cpf": TILL_CPF,
                "consent_terms": True,
                "card_number": CARD,
                "phone": TILL_PHONE,
                "email": TILL_EMAIL,
            },
        )
        agent.sales.finalise("s-1")
        agent.sales.identify("s-2", CARD)
        agent.sales.price("s-2", [line("X", qty="2")])
        agent.sales.finalise("s-2")
        agent.sales.identify("s-3", TILL_CPF_DIGITS)
        agent.sales.price("s-3", [line("X")])
        agent.sales.finalise("s-3")
        wait_for(lambda: agent is not None and agent.status()["queue"]["depth"] == 0, timeout=30)
        # On the portal: join, forget the password, reset it by the link.
        with requests.Session() as web:
            joined = _form(
                web,
                f"{url}/portal/join",
                {
                    "cpf": WEB_CPF,
                    "name": "Bia Souza",
                    "email": WEB_EMAIL,
                    "phone": WEB_PHONE,
                    "birth_date": "1990-05-17",
                    "password": WEB_PASSWORD,
                    "password_confirm": WEB_PASSWORD,
                    "consent_terms": "y",
                },
            )
            assert joined.status_code == 200, joined.status_code
        with requests.Session() as web:
            sent = _form(web, f"{url}/portal/reset", {"email": WEB_EMAIL})
            assert sent.status_code == 200
            wait_for(lambda: len(box.messages) == 1, timeout=10)
            text = box.messages[0].get_body(preferencelist=("plain",)).get_content()
            token = re.search(r"/portal/reset/([\w-]+)", text)
            assert token is not None
            link = f"{url}/portal/reset/{token.group(1)}"
            done = _form(web, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
            assert done.status_code in (200, 302), done.status_code
            signed = _form(
                web, f"{url}/portal/signin", {"identifier": WEB_EMAIL, "password": NEW_PASSWORD}
            )
            assert signed.status_code == 200
            assert "Bia" in signed.text
        # Head office: log in and look members up by each identifier.
        with requests.Session() as office:
            r = _form(
                office,
                f"{url}/admin/login",
                {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            )
            assert r.status_code == 200
            assert "/admin/login" not in r.url
            for q in (TILL_CPF, TILL_CPF_DIGITS, CARD, TILL_PHONE, WEB_EMAIL, WEB_CPF):
                found = _form(office, f"{url}/admin/members", {"q": q})
                assert found.status_code == 200, q
                assert re.search(r"\b1 (member|membro)", found.text), q
            old_link = office.get(f"{url}/admin/members", params={"q": TILL_CPF}, timeout=10)
            assert old_link.status_code == 200
    finally:
        if agent is not None:
            agent.close()
        proc.terminate()
        proc.wait(15)
        smtp.stop()
        for handler in list(logging.getLogger().handlers):
            if isinstance(handler, logging.FileHandler):
                logging.getLogger().removeHandler(handler)
                handler.close()
    server_text = server_log.read_text(encoding="utf-8")
    agent_text = agent_log.read_text(encoding="utf-8")
    # the logs are real: request lines of every area, the sync, the agent's own lines
    for seen in ("/admin/members", "/portal/reset/", "/api/v1/events", '"msg": "request"'):
        assert seen in server_text, seen
    assert "tillclub.agent" in agent_text
    secrets = {
        "till CPF": TILL_CPF,
        "till CPF digits": TILL_CPF_DIGITS,
        "portal CPF": WEB_CPF,
        "portal CPF digits": WEB_CPF_DIGITS,
        "card": CARD,
        "till phone": TILL_PHONE,
        "till phone digits": TILL_PHONE_DIGITS,
        "portal phone": WEB_PHONE,
        "portal phone digits": WEB_PHONE_DIGITS,
        "till e-mail": TILL_EMAIL,
        "portal e-mail": WEB_EMAIL,
        "portal e-mail (query-encoded)": WEB_EMAIL.replace("@", "%40"),
        "reset token": token.group(1),
        "passwords": NEW_PASSWORD,
        "old password": WEB_PASSWORD,
        "admin password": ADMIN_PASSWORD,
        "terminal credential": credential.split(".")[-1],
        "CPF hash secret": base64.b64encode(CPF_SECRET).decode(),
    }
    for name, text in (("server.log", server_text), ("agent.log", agent_text)):
        leaks = [what for what, secret in secrets.items() if secret and secret in text]
        assert leaks == [], f"{name} leaks {leaks}"


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        time.sleep(0.1)
        return False
