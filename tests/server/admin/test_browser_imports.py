"""Importar in a real browser: Playwright driving Debian's headless Chromium against the real
server on 127.0.0.1 (werkzeug, SQLite migrated with Alembic) and a worker taking the job from
the real huey queue (a SQLite file).

GIVEN a members file with 3 bad rows WHEN the operator uploads it THEN the dry run lists the 3
rows with their lines and reasons; WHEN they click "Importar" THEN the progress bar reaches
100 % by itself (the page polls the run's JSON and reloads) and the result shows the members
created; AND the error CSV they download holds the 3 rows with ``linha`` and ``motivo``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import func, select

from server.db import get_engine, new_session
from server.jobs.worker import attach, make_huey
from server.migrate import upgrade
from server.models import Member
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork
from tests.support.live import start_serving

from .conftest import PASSWORD, add_admin, build_app
from .test_browser import ARTIFACTS, LAUNCH
from .test_imports import members_csv

pytestmark = pytest.mark.browser


class Worker(threading.Thread):
    """Takes runs from the app's huey queue and executes them, as ``tillclub server worker``
    does (its consumer needs the main thread for its signal handlers)."""

    def __init__(self, app: object) -> None:
        super().__init__(daemon=True)
        self.huey = make_huey(app.config)  # type: ignore[attr-defined]
        attach(app, self.huey)  # type: ignore[arg-type]
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            task = self.huey.dequeue()
            if task is not None:
                self.huey.execute(task)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, object]]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(url)
    app = build_app(url, WTF_CSRF_TIME_LIMIT=None)
    app.config["TESTING"] = False
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Centro")
    add_admin(app, "ana@hq.example", "admin")
    served = start_serving(app)
    worker = Worker(app)
    worker.start()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield served.url, app
    worker.stopped.set()
    worker.join(5)
    served.stop()
    get_engine(app).dispose()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH)
        yield b
        b.close()


def test_operator_uploads_sees_the_dry_run_runs_it_and_downloads_the_errors(
    browser: Browser, site: tuple[str, object], tmp_path: Path
) -> None:
    base, app = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    page.goto(base + "/admin/login?lang=pt-BR")
    page.fill("#email", "ana@hq.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Importar")
    expect(page.locator("h1")).to_have_text("Importar")
    page.select_option("#f-kind", "members")
    page.set_input_files(
        "#f-file",
        {"name": "clientes.csv", "mimeType": "text/csv", "buffer": members_csv(12, 3)},
    )
    page.click("text=Conferir o arquivo (simulação)")
    expect(page.locator("#plan-rows")).to_have_text("15")
    expect(page.locator("#plan-created")).to_have_text("12")
    expect(page.locator("#plan-rejected")).to_have_text("3")
    expect(page.locator("#rejected tbody tr")).to_have_count(3)
    expect(page.locator("#rejected tbody tr").first).to_contain_text("CPF")
    page.screenshot(path=str(ARTIFACTS / "import-dry-run-pt.png"), full_page=True)
    with new_session(app) as s:  # type: ignore[arg-type]
        assert s.scalar(select(func.count()).select_from(Member)) == 0

    page.click("#run-import")
    # the progress bar follows the job; the page reloads itself when the run is done
    expect(page.locator("#import-state")).to_have_text("concluída", timeout=30_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.locator("#run-created")).to_have_text("12")
    expect(page.locator("#run-rejected")).to_have_text("3")
    page.screenshot(path=str(ARTIFACTS / "import-done-pt.png"), full_page=True)
    with new_session(app) as s:  # type: ignore[arg-type]
        assert s.scalar(select(func.count()).select_from(Member)) == 12

    with page.expect_download() as info:
        page.click("#download-errors")
    path = tmp_path / "errors.csv"
    info.value.save_as(path)
    rows = path.read_bytes().decode("utf-8-sig").strip().splitlines()
    assert rows[0].startswith("id_externo;nome;cpf")
    assert rows[0].endswith(";linha;motivo")
    assert [r.split(";")[-2] for r in rows[1:]] == ["14", "15", "16"]
    assert all(r.split(";")[-1] for r in rows[1:])  # each with its reason
    context.close()
