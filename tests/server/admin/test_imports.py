"""The Importar page: upload, dry run, "Importar" as a job with its progress, the error file,
the list of past imports; admins only for files, auditors read the list; CSRF, limits, and
every step in the audit log."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.db import get_engine, new_session
from server.jobs import runs
from server.jobs.worker import attach, make_huey
from server.models import AuditLog, Member
from server.models.imports import ImportRun
from server.models.jobs import JobRun

from .conftest import Office, add_admin, add_store, build_app, empty_all


def cpf(rng: random.Random) -> str:
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(body)) > 1:
            break
    for _ in range(2):
        weights = range(len(body) + 1, 1, -1)
        body += str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) * 10 % 11 % 10)
    return body


def members_csv(good: int = 5, bad: int = 3, seed: int = 1) -> bytes:
    """``good`` valid members and ``bad`` broken rows (a bad CPF, no name, a bad e-mail), as a
    Brazilian spreadsheet writes them: ``;``, a BOM, dd/mm/aaaa."""
    rng = random.Random(seed)
    lines = ["id_externo;nome;cpf;email;telefone;nascimento;loja;termos"]
    for i in range(good):
        lines.append(
            f"A{i:04d};Cliente {i};{cpf(rng)};c{i}@example.com;(11) 98765-{i:04d};"
            f"0{1 + i % 9}/02/1980;LOJA-01;sim"
        )
    broken = [
        "B0001;Cliente ruim;123.456.789-00;x@example.com;;;LOJA-01;sim",
        "B0002;;{cpf};y@example.com;;;LOJA-01;sim",
        "B0003;Outro ruim;{cpf};not-an-email;;;LOJA-01;sim",
    ]
    for row in broken[:bad]:
        lines.append(row.replace("{cpf}", cpf(rng)))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(
        db_url, JOBS_SQLITE_PATH=str(tmp_path / "queue.db"), IMPORTS_DIR=str(tmp_path / "imp"),
        EXPORTS_DIR=str(tmp_path / "exp"),
    )  # fmt: skip
    empty_all(app)
    add_store(app, "LOJA-01")
    yield app
    get_engine(app).dispose()


def login(app: Flask, role: str, lang: str = "pt-BR") -> Office:
    email = f"{role}@hq.example"
    add_admin(app, email, role)
    o = Office(app.test_client(), lang)
    assert o.login(email).status_code == 302
    return o


def upload(o: Office, data: bytes, name: str = "clientes.csv", kind: str = "members") -> object:
    return o.post(
        "/admin/imports",
        {"kind": kind, "on_duplicate": "report", "file": (io.BytesIO(data), name)},
        from_page="/admin/imports",
        content_type="multipart/form-data",
    )


def actions(app: Flask) -> list[str]:
    with new_session(app) as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_dry_run_then_run_as_a_job_then_the_error_file(app: Flask) -> None:
    o = login(app, "admin")
    r = upload(o, members_csv(5, 3))
    assert r.status_code == 302, r.get_data(as_text=True)
    page_url = r.headers["Location"]
    html = o.get(page_url).get_data(as_text=True)
    assert "<h2>Simulação</h2>" in html
    assert '<dd id="plan-rows">8</dd>' in html
    assert '<dd id="plan-created">5</dd>' in html
    assert '<dd id="plan-rejected">3</dd>' in html
    for line in ("7", "8", "9"):  # the header is line 1
        assert f'<td class="num">{line}</td>' in html
    assert "CPF" in html
    assert "123.456.789-00" not in html
    with new_session(app) as s:  # a dry run writes nothing
        assert s.scalar(select(func.count()).select_from(Member)) == 0
    # "Importar": a queued run of the import job, audited; the worker runs it
    token = page_url.rsplit("/", 1)[-1]
    r = o.post(f"/admin/imports/{token}/run", from_page=page_url)
    assert r.status_code == 302
    status = o.get(f"/admin/imports/{token}/status.json").get_json()
    assert status["state"] == "queued"
    assert status["percent"] == 0
    with new_session(app) as s:
        (job,) = s.scalars(select(JobRun).where(JobRun.job == "import"))
        assert job.period == f"manual:{token}"
    huey = make_huey(app.config)
    attach(app, huey)
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    status = o.get(f"/admin/imports/{token}/status.json").get_json()
    assert status["state"] == "done"
    assert status["percent"] == 100
    assert status["counts"]["created"] == 5
    assert status["counts"]["rejected"] == 3
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 5
    html = o.get(page_url).get_data(as_text=True)
    assert '<dd id="run-created">5</dd>' in html
    errors = o.get(f"/admin/imports/{token}/errors-run.csv")
    assert errors.status_code == 200
    assert errors.headers["Content-Type"].startswith("text/csv")
    text = errors.get_data().decode("utf-8-sig")
    errors.close()
    rows = text.strip().splitlines()
    assert rows[0].endswith(";linha;motivo")
    assert [r.split(";")[-2] for r in rows[1:]] == ["7", "8", "9"]
    # the list of past imports shows the run
    listing = o.get("/admin/imports").get_data(as_text=True)
    assert "clientes.csv" in listing
    assert 'id="import-run-' in listing
    acts = actions(app)
    for a in ("import.plan", "import.queue", "import.start", "import.finish",
              "import.errors_download"):  # fmt: skip
        assert a in acts, acts


def test_error_file_and_page_in_english(app: Flask) -> None:
    o = login(app, "admin", "en")
    page_url = upload(o, members_csv(1, 3)).headers["Location"]
    html = o.get(page_url).get_data(as_text=True)
    assert "<h2>Dry run</h2>" in html
    assert "Would create" in html
    token = page_url.rsplit("/", 1)[-1]
    errors = o.get(f"/admin/imports/{token}/errors-plan.csv")
    text = errors.get_data().decode("utf-8-sig")
    errors.close()
    assert text.splitlines()[0].endswith(";line;reason")


def test_running_twice_queues_once_and_a_rerun_of_the_file_changes_nothing(app: Flask) -> None:
    o = login(app, "admin")
    data = members_csv(4, 0)
    url = upload(o, data).headers["Location"]
    token = url.rsplit("/", 1)[-1]
    o.post(f"/admin/imports/{token}/run", from_page=url)
    o.post(f"/admin/imports/{token}/run", from_page=url)
    with new_session(app) as s:
        assert len(s.scalars(select(JobRun).where(JobRun.job == "import")).all()) == 1
    assert runs.run(app, "import", f"manual:{token}").status == "done"
    url2 = upload(o, data).headers["Location"]
    html = o.get(url2).get_data(as_text=True)
    assert '<dd id="plan-created">0</dd>' in html
    assert '<dd id="plan-unchanged">4</dd>' in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("clientes.xlsx", b"id_externo;nome\r\nA;B\r\n", "Envie um arquivo CSV"),
        ("clientes.csv", b"", "O arquivo está vazio."),
        ("clientes.csv", b"PK\x03\x04\x00\x00binary", "não é um arquivo de texto CSV"),
        ("clientes.csv", b"nome;email\r\nAna;a@x.com\r\n", "id_externo"),
    ],
)
def test_a_refused_file_says_why_in_the_users_language_and_keeps_nothing(
    app: Flask, name: str, data: bytes, message: str
) -> None:
    o = login(app, "admin")
    r = upload(o, data, name)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    with new_session(app) as s:
        assert s.scalars(select(ImportRun)).all() == []


def test_a_file_over_the_limit_is_refused_with_413(app: Flask) -> None:
    app.config["ADMIN_IMPORT_MAX_MB"] = 0  # 64 KiB of headroom for the form's other fields
    o = login(app, "admin")
    r = upload(o, b"id_externo;nome\r\n" + b"A;B\r\n" * 40_000)  # 200 KB, kept in memory
    assert r.status_code == 413
    assert "Arquivo grande demais" in r.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(app: Flask) -> None:
    o = login(app, "admin")
    r = o.client.post(
        "/admin/imports",
        data={"kind": "members", "file": (io.BytesIO(members_csv()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert "Formulário expirado" in r.get_data(as_text=True)
    assert actions(app).count("import.plan") == 0


def test_auditor_reads_the_list_but_touches_no_file_and_marketing_sees_nothing(
    app: Flask,
) -> None:
    admin = login(app, "admin")
    url = upload(admin, members_csv(2, 1)).headers["Location"]
    token = url.rsplit("/", 1)[-1]
    auditor = login(app, "auditor")
    html = auditor.get("/admin/imports").get_data(as_text=True)
    assert "<h1>Importar</h1>" in html
    assert 'enctype="multipart/form-data"' not in html  # no upload form
    assert auditor.get(url).status_code == 403
    assert auditor.get(f"/admin/imports/{token}/errors-plan.csv").status_code == 403
    assert auditor.get(f"/admin/imports/{token}/status.json").status_code == 403
    assert upload(auditor, members_csv()).status_code == 403
    r = auditor.post(f"/admin/imports/{token}/run", from_page="/admin/imports")
    assert r.status_code == 403
    marketing = login(app, "marketing")
    assert marketing.get("/admin/imports").status_code == 403
    assert 'href="/admin/imports"' not in marketing.get("/admin/").get_data(as_text=True)


def test_unknown_upload_is_404(app: Flask) -> None:
    o = login(app, "admin")
    assert o.get("/admin/imports/" + "0" * 24).status_code == 404
    assert o.get("/admin/imports/../../etc").status_code == 404
