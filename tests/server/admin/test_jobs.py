"""The Tarefas page: schedules, last and next run, failures (also in /readyz), and "run now"
(admins only, CSRF-protected, audited, handed to the worker's queue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from server.db import get_engine, new_session
from server.jobs import runs
from server.jobs.worker import attach, make_huey
from server.models import AuditLog
from server.models.jobs import DONE, QUEUED, JobRun

from ..jobs import testjobs  # noqa: F401  (registers the test jobs)
from .conftest import Office, add_admin, build_app, empty_all


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(
        db_url, JOBS_SQLITE_PATH=str(tmp_path / "queue.db"), JOBS_RETRY_SECONDS=60,
        JOBS_EXTRA_MODULES=["tests.server.jobs.testjobs"],
    )  # fmt: skip
    empty_all(app)
    yield app
    get_engine(app).dispose()


def login(app: Flask, role: str, lang: str = "pt-BR") -> Office:
    email = f"{role}@hq.example"
    add_admin(app, email, role)
    o = Office(app.test_client(), lang)
    assert o.login(email).status_code == 302
    return o


def test_page_in_portuguese_lists_each_job_with_schedule_and_next_run(app: Flask) -> None:
    o = login(app, "admin")
    runs.run(app, "voucher-expiry", "2026-12-04T10:05")
    html = o.get("/admin/jobs").get_data(as_text=True)
    assert "<h1>Tarefas</h1>" in html
    assert "Horários em America/Sao_Paulo" in html
    for name in ("tier-review", "segments", "voucher-expiry", "lgpd-retention"):
        assert f'id="job-{name}"' in html
    assert "<code>5 * * * *</code>" in html
    assert "Próxima execução" in html
    assert "concluída" in html
    assert "processed=0 changed=0" in html
    assert "nunca" in html  # the others never ran
    assert "Expiração de vales" in html
    assert 'href="/admin/jobs"' in html  # in the menu
    assert "Executar agora" in html


def test_page_in_english(app: Flask) -> None:
    html = login(app, "admin", "en").get("/admin/jobs").get_data(as_text=True)
    assert "<h1>Jobs</h1>" in html
    assert "Voucher expiry: marks" in html
    assert "Run now" in html


def test_run_now_is_queued_audited_and_run_by_the_worker(app: Flask, tmp_path: Path) -> None:
    o = login(app, "admin")
    r = o.post("/admin/jobs/voucher-expiry/run", from_page="/admin/jobs")
    assert r.status_code == 302
    assert "execução na fila" in o.get("/admin/jobs").get_data(as_text=True)
    with new_session(app) as s:
        (row,) = s.scalars(select(JobRun).where(JobRun.job == "voucher-expiry"))
        assert (row.status, row.requested_by) == (QUEUED, "admin@hq.example")
        assert row.period.startswith("manual:")
        (entry,) = s.scalars(select(AuditLog).where(AuditLog.action == "jobs.run"))
        assert (entry.actor_id, entry.target_id) == ("admin@hq.example", "voucher-expiry")
        assert entry.detail["period"] == row.period
    # the queue (the SQLite file the worker reads) holds the run; a consumer executes it
    huey = make_huey(app.config)
    attach(app, huey)
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    with new_session(app) as s:
        assert s.scalars(select(JobRun.status).where(JobRun.job == "voucher-expiry")).all() == [
            DONE
        ]


def test_run_now_without_csrf_token_changes_nothing(app: Flask) -> None:
    o = login(app, "admin")
    r = o.client.post("/admin/jobs/voucher-expiry/run", data={})
    assert r.status_code == 400
    assert "Formulário expirado" in r.get_data(as_text=True)
    with new_session(app) as s:
        assert s.scalars(select(JobRun)).all() == []


def test_auditor_reads_but_cannot_run_and_marketing_cannot_read(app: Flask) -> None:
    auditor = login(app, "auditor")
    html = auditor.get("/admin/jobs").get_data(as_text=True)
    assert "<h1>Tarefas</h1>" in html
    assert "Executar agora" not in html
    r = auditor.post("/admin/jobs/segments/run", from_page="/admin/jobs")
    assert r.status_code == 403
    marketing = login(app, "marketing")
    assert marketing.get("/admin/jobs").status_code == 403
    with new_session(app) as s:
        assert s.scalars(select(JobRun)).all() == []
        assert s.scalars(select(AuditLog).where(AuditLog.action == "jobs.run")).all() == []


def test_unknown_job_is_404(app: Flask) -> None:
    r = login(app, "admin").post("/admin/jobs/nope/run", from_page="/admin/jobs")
    assert r.status_code == 404


def test_a_failing_job_shows_on_the_page_and_in_readyz_without_failing_it(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("TILLCLUB_TEST_FLAKY_FILE", str(flag))
    assert runs.run(app, "test-flaky", "2026-12-04T03:00").status == "failed"
    html = login(app, "admin").get("/admin/jobs").get_data(as_text=True)
    assert "test-flaky está falhando" in html
    assert "RuntimeError: the flaky job failed on purpose" in html
    r = app.test_client().get("/readyz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ready"
    assert body["jobs"]["failing"] == [
        {
            "job": "test-flaky",
            "period": "2026-12-04T03:00",
            "attempts": 1,
            "error": "RuntimeError: the flaky job failed on purpose",
        }
    ]
