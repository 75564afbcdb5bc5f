"""Run the whole demo: server, seed, terminal, agent, devices, a scripted shift, offline."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

from plugins.simulated import HttpTransport, Product, SimulatedPos

from .processes import Child, DemoError, free_port, serial_pair, tillclub, wait_until
from .seed import ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_RAFFLE, PORTAL_PASSWORD, DemoChain, seed
from .shift import Shift, agent_status
from .virtual_printer import VirtualPrinter

T = TypeVar("T")
STEPS = 12


class Progress:
    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo, self.n = echo, 0

    def step(self, title: str, work: Callable[[], T]) -> T:
        self.n += 1
        self.echo(f"[{self.n:2d}/{STEPS}] {title} ...")
        started = time.monotonic()
        result = work()
        self.echo(f"        ok ({time.monotonic() - started:.1f}s)")
        return result

    def say(self, text: str) -> None:
        for line in text.splitlines():
            self.echo(f"        {line}")


class Demo:
    def __init__(self, folder: Path, echo: Callable[[str], None]) -> None:
        self.folder = folder
        self.progress = Progress(echo)
        self.children: list[Child] = []
        self.printer: VirtualPrinter | None = None
        self.server_port = free_port()
        self.pos_port = free_port()
        self.status_port = free_port()
        self.pos_secret = secrets.token_urlsafe(24)
        self.server_url = f"http://127.0.0.1:{self.server_port}"
        self.server: Child | None = None

    # -- steps ---------------------------------------------------------------------------

    def prepare(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        (self.folder / "receipts").mkdir(parents=True)
        tillclub("keys", "generate", str(self.folder / "keys"))
        db = self.folder / "server.db"
        tillclub("server", "init-config", str(self.config), "--database-url", f"sqlite:///{db}")
        with open(self.config, "a", encoding="utf-8") as fh:
            fh.write(f'qr_private_key_path = "{self.folder / "keys" / "qr-signing-key.pem"}"\n')
            fh.write("ratelimit_enabled = false\n")
        tillclub("server", "--config", str(self.config), "init-db")

    @property
    def config(self) -> Path:
        return self.folder / "server.toml"

    def seed(self) -> DemoChain:
        from server import create_app
        from server.config import load_config

        app = create_app(load_config(self.config))
        chain = seed(app, dt.datetime.now(dt.UTC))
        secret = base64.b64decode(app.config["CPF_HASH_SECRET"])
        (self.folder / "cpf-hash-secret").write_text(base64.b64encode(secret).decode() + "\n")
        self.progress.say(
            f"{len(chain.products)} products, {len(chain.members)} members, 2 stores, campaigns"
        )
        return chain

    def start_server(self) -> None:
        self.server = Child(
            "server",
            [*_tillclub(), "server", "--config", str(self.config), "run",
             "--port", str(self.server_port)],
            self.folder / "server.log",
        )  # fmt: skip
        self.server.start()
        self.children.append(self.server)
        wait_until(
            lambda: requests.get(f"{self.server_url}/readyz", timeout=2).status_code == 200,
            60, "the server to answer /readyz",
        )  # fmt: skip

    def start_agent(self) -> tuple[Path, str]:
        code = (
            tillclub(
                "server",
                "--config",
                str(self.config),
                "register-terminal",
                "loja-centro",
                "Caixa 1",
            )
            .strip()
            .splitlines()[-1]
        )
        socat, agent_end, gun_end = serial_pair(self.folder, self.folder / "socat.log")
        self.children.append(socat)
        self.printer = VirtualPrinter(self.folder / "receipts")
        self.printer.start()
        agent_toml = self.folder / "agent.toml"
        agent_toml.write_text(self._agent_config(agent_end), encoding="utf-8")
        tillclub("agent", "register", "--config", str(agent_toml), "--server", self.server_url,
                 "--code", code)  # fmt: skip
        # The till numbers raffle tickets only from blocks reserved for it: one before it starts.
        credential = json.loads((self.folder / "credential.json").read_text(encoding="utf-8"))
        tillclub("server", "--config", str(self.config), "assign-raffle-block", DEMO_RAFFLE,
                 credential["terminal_id"], "--size", "1000")  # fmt: skip
        agent = Child(
            "agent", [*_tillclub(), "agent", "run", "--config", str(agent_toml)],
            self.folder / "agent.log",
        )  # fmt: skip
        agent.start()
        self.children.append(agent)
        pos_url = f"http://127.0.0.1:{self.pos_port}"
        wait_until(lambda: requests.get(f"{pos_url}/v1/health", timeout=2).ok, 60, "the agent")
        status_url = f"http://127.0.0.1:{self.status_port}"
        wait_until(
            lambda: agent_status(status_url)["cache"]["members"] >= 1000, 120,
            "the agent's first sync (1,000 members)",
        )  # fmt: skip
        return gun_end, pos_url

    def _agent_config(self, scanner: Path) -> str:
        f = self.folder
        assert self.printer is not None
        return f"""\
# Written by `tillclub demo`: one till of the demo store.
[server]
url = "{self.server_url}"
credential_file = "{f / "credential.json"}"
timeout_seconds = 3
sync_interval_seconds = 1
max_backoff_seconds = 2

[terminal]
store = "loja-centro"
store_name = "Supermercado Centro"

[storage]
cache_path = "{f / "agent-cache.sqlite3"}"
journal_path = "{f / "agent-journal.sqlite3"}"

[identification]
qr_public_key = "{f / "keys" / "qr-public-key.pem"}"
cpf_hash_secret_file = "{f / "cpf-hash-secret"}"

[printer]
enabled = true
[printer.connector]
type = "network"
host = "127.0.0.1"
port = {self.printer.port}
[printer.profile]
paper_mm = 80
codepage = "CP860"

[scanner]
url = "{scanner}"
suffix = "CR"

[pos]
plugin = "http"
[pos.options]
port = {self.pos_port}
secret = "{self.pos_secret}"

[status]
local_api_port = {self.status_port}
"""

    def run(self, exit_at_end: bool) -> int:
        p = self.progress
        # Ctrl-C or a plain kill stop every child too (a background shell ignores SIGINT).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            p.step("Preparing keys, server config and database (SQLite)", self.prepare)
            chain = p.step("Seeding the demo chain", self.seed)
            p.step("Starting the central server", self.start_server)
            gun, pos_url = p.step(
                "Enrolling a terminal; starting the agent, scanner cable and printer",
                self.start_agent,
            )
            catalogue = {
                x.sku: Product(x.sku, x.name, x.price, x.category, x.brand) for x in chain.products
            }
            pos = SimulatedPos(HttpTransport(pos_url, self.pos_secret), catalogue)
            qr_key = self.folder / "keys" / "qr-signing-key.pem"
            shift = Shift(chain, pos, gun, qr_key, p.say)
            first = p.step("Sale: member card on the serial scanner", shift.card_scan)
            p.step("Sale: phone QR with a personalised offer", shift.phone_qr)
            p.step(
                "Sale: CPF typed; an anonymous sale", lambda: (shift.cpf_typed(), shift.anonymous())
            )
            p.step(
                "Sale: a voucher; a points redemption", lambda: (shift.voucher(), shift.points())
            )
            p.step("Refund of part of the first sale", lambda: shift.refund(first))
            p.step("The server goes down; the till keeps selling", lambda: self.offline(shift))
            p.step("The server is back; the outbox drains", self.drain)
            p.step("Checking the server has every sale exactly once", lambda: self.check(shift))
            p.step("Checking the background worker ran every job", self.check_jobs)
        except DemoError as exc:
            self.progress.echo(f"demo failed: {exc}\nlogs: {self.folder}")
            self.stop()
            return 1
        except BaseException:
            self.stop()
            raise
        self.summary()
        if not exit_at_end:
            try:
                self.progress.echo("Running until Ctrl-C ...")
                while all(c.alive() for c in self.children):
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
        self.stop()
        return 0

    def offline(self, shift: Shift) -> None:
        assert self.server is not None
        self.server.stop()
        for sale in (shift.anonymous, shift.cpf_typed, shift.joins_at_payment):
            sale()
        status = agent_status(f"http://127.0.0.1:{self.status_port}")
        self.progress.say(f"outbox: {status['queue']['depth']} events waiting; server unreachable")
        if status["queue"]["depth"] == 0:
            raise DemoError("the outbox is empty although the server is down")

    def drain(self) -> None:
        assert self.server is not None
        self.server.start()
        url = f"http://127.0.0.1:{self.status_port}"
        wait_until(lambda: agent_status(url)["queue"]["depth"] == 0, 120, "the outbox to drain")

    def check(self, shift: Shift) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(f"sqlite:///{self.folder / 'server.db'}")
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.text("SELECT sale_id FROM sales"))]
            joined = [
                r[0]
                for r in conn.execute(
                    sa.text("SELECT id FROM members WHERE id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": shift.enrolled},
                )
            ]
        engine.dispose()
        mine = [a["sale_id"] for a in shift.recorded]
        if sorted(ids) != sorted(mine):
            raise DemoError(f"server has {len(ids)} sales, the till recorded {len(mine)}")
        if sorted(joined) != sorted(shift.enrolled):
            raise DemoError(
                f"server has {len(joined)} of the {len(shift.enrolled)} till enrolments"
            )
        self.progress.say(f"{len(ids)} sales at the till, {len(ids)} at the server, none twice")
        wait_until(lambda: bool(self.printer and len(self.printer.jobs) >= 1), 30, "a receipt")

    def check_jobs(self) -> None:
        """The worker started by ``server run`` caught up every job's last period at start."""
        import sqlalchemy as sa

        from server.jobs.registry import BUILTIN, OFF

        wanted = {spec.name for spec in BUILTIN if spec.schedule != OFF}  # not the on-demand ones
        engine = sa.create_engine(f"sqlite:///{self.folder / 'server.db'}")

        def finished() -> bool:
            query = sa.text("SELECT job FROM job_runs WHERE status = 'done'")
            with engine.connect() as conn:
                done = set(conn.execute(query).scalars())
            return wanted <= done

        try:
            wait_until(finished, 120, "the background worker to run every job once")
        finally:
            engine.dispose()
        self.progress.say(f"worker ran {', '.join(sorted(wanted))} (see Tarefas in the UI)")

    def summary(self) -> None:
        assert self.printer is not None
        self.progress.echo(
            f"\nReceipts: {self.folder / 'receipts'} ({len(self.printer.jobs)} so far, "
            ".txt and .png)\n"
            f"Head-office UI: {self.server_url}/admin  ({ADMIN_EMAIL} / {ADMIN_PASSWORD})\n"
            f"Member portal:  {self.server_url}/portal  (the CPF of member m00003 or "
            f"its e-mail / {PORTAL_PASSWORD})\n"
            f"POS HTTP API:   http://127.0.0.1:{self.pos_port}  "
            f"(secret in {self.folder / 'agent.toml'})\n"
            f"Logs and data:  {self.folder}"
        )

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        if self.printer is not None:
            self.printer.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _both(first: Callable[[], object], second: Callable[[], object]) -> None:
    first()
    second()


def _tillclub() -> list[str]:
    from .processes import TILLCLUB

    return [TILLCLUB]


def run_demo(folder: Path, exit_at_end: bool, echo: Callable[[str], None]) -> int:
    return Demo(folder, echo).run(exit_at_end)
