"""The Exportar page: admins ask for the full export (a run of the export job, audited), the
worker writes it, the list links it and the download is audited; nobody else sees any of it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from server.db import get_engine, new_session
from server.jobs import runs
from server.models import AuditLog
from server.models.jobs import JobRun

from .conftest import add_store, build_app, empty_all
from .test_imports import login


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(
        db_url, JOBS_SQLITE_PATH=str(tmp_path / "queue.db"), EXPORTS_DIR=str(tmp_path / "exp")
    )
    empty_all(app)
    add_store(app, "LOJA-01")
    yield app
    get_engine(app).dispose()


def test_admin_asks_the_worker_writes_and_the_download_is_audited(
    app: Flask, tmp_path: Path
) -> None:
    o = login(app, "admin")
    html = o.get("/admin/exports").get_data(as_text=True)
    assert "<h1>Exportar</h1>" in html
    assert "Nenhuma exportação ainda." in html
    assert o.post("/admin/exports", from_page="/admin/exports").status_code == 302
    with new_session(app) as s:
        (job,) = s.scalars(select(JobRun).where(JobRun.job == "export"))
    assert runs.run(app, "export", job.period).status == "done"
    html = o.get("/admin/exports").get_data(as_text=True)
    assert f"/admin/exports/{job.id}/download" in html
    r = o.get(f"/admin/exports/{job.id}/download")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.get_data())) as zf:
        assert "csv/stores.csv" in zf.namelist()
    r.close()
    with new_session(app) as s:
        audit = {a.action: a for a in s.scalars(select(AuditLog))}
    assert audit["export.request"].actor_id == "admin@hq.example"
    assert audit["export.full"].actor_id == "admin@hq.example"  # the job acts for who asked
    assert audit["export.full"].detail["rows"]["stores"] == 1
    assert audit["export.download"].detail["sha256"] == audit["export.full"].detail["sha256"]


def test_only_admins_see_or_ask_for_the_export(app: Flask) -> None:
    for role in ("auditor", "marketing"):
        o = login(app, role)
        assert o.get("/admin/exports").status_code == 403
        assert o.post("/admin/exports", from_page="/admin/").status_code == 403
        assert o.get("/admin/exports/1/download").status_code == 403
        assert 'href="/admin/exports"' not in o.get("/admin/").get_data(as_text=True)
    with new_session(app) as s:
        assert s.scalars(select(JobRun)).all() == []


def test_an_unfinished_export_has_no_download(app: Flask) -> None:
    o = login(app, "admin")
    o.post("/admin/exports", from_page="/admin/exports")
    with new_session(app) as s:
        (job,) = s.scalars(select(JobRun).where(JobRun.job == "export"))
    assert o.get(f"/admin/exports/{job.id}/download").status_code == 404
