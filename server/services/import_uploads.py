"""Head office's import files: uploaded, dry-run, queued, run by the ``import`` job, followed.

The "Importar" page's use cases around the one import use case (``server.services.imports``:
``plan``, ``run``, ``write_errors``). An upload is kept as two files in :func:`imports_dir`
(shared by the web and the worker, like ``exports_dir``): ``<token>.csv``, the file as sent,
and ``<token>.json``, what it is (kind, duplicate mode, original name, who, SHA-256, the dry
run's counts). The dry run's and the run's rejected rows are written as error CSVs beside
them, in pt-BR and English (``<token>.<stage>.errors.<lang>.csv``), so the download is in the
operator's language. "Importar" queues a run of the ``import`` job whose period names the
token (``manual:<token>``); the job reads the upload from it. A run killed half-way is taken
over by the runner (lease, retry) and the import resumes after its last committed batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..jobs import runs
from ..jobs.contract import JobContext, JobReport
from ..models.imports import ImportRun
from ..models.jobs import JobRun
from ..security import CpfCipher
from . import imports
from .uow import SqlUnitOfWork

JOB = "import"
KINDS = ("members", "cards", "balances", "sales")
MODES = ("report", "merge")
LANGS = ("pt-BR", "en")
STAGES = ("plan", "run")
_TOKEN = re.compile(r"^[0-9a-f]{24}$")
_CHUNK = 1 << 20


class UploadError(ValueError):
    """The upload is refused as a whole; ``message`` is English with ``{name}`` placeholders."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.values = values


class UploadNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Upload:
    token: str
    kind: str
    on_duplicate: str
    file_name: str
    actor: str
    size: int
    sha256: str
    uploaded_at: str
    plan: dict[str, int] | None = None  # the dry run's counts
    period: str | None = None  # the job run's, once queued
    run_id: int | None = None  # the import run's, once the job ran
    result: dict[str, int] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def imports_dir(config: Any) -> Path:
    """``IMPORTS_DIR``, or ``<database name>.imports`` beside a SQLite database."""
    if config.get("IMPORTS_DIR"):
        return Path(str(config["IMPORTS_DIR"]))
    url = make_url(str(config["DATABASE_URL"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database))
        return db.with_name(db.stem + ".imports")
    return Path("tillclub-imports")


def _paths(config: Any, token: str) -> tuple[Path, Path]:
    if not _TOKEN.match(token):
        raise UploadNotFound(token)
    folder = imports_dir(config)
    return folder / f"{token}.csv", folder / f"{token}.json"


def errors_path(config: Any, token: str, stage: str, lang: str) -> Path:
    """The error CSV of ``stage`` (plan | run) in ``lang``.

    :raises UploadNotFound: a malformed token, stage or language.
    """
    if stage not in STAGES or lang not in LANGS:
        raise UploadNotFound(token)
    return _paths(config, token)[0].with_name(f"{token}.{stage}.errors.{lang}.csv")


def _save_meta(config: Any, upload: Upload) -> None:
    meta = _paths(config, upload.token)[1]
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, meta)


def load(config: Any, token: str) -> Upload:
    """:raises UploadNotFound: no such upload."""
    meta = _paths(config, token)[1]
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadNotFound(token) from None
    return Upload(**data)


def store_upload(
    config: Any, stream: IO[bytes], *, kind: str, on_duplicate: str, file_name: str, actor: str,
    max_bytes: int, now: dt.datetime,
) -> Upload:  # fmt: skip
    """Keep an uploaded file (copied in chunks, never whole in memory).

    :raises UploadError: an unknown kind or mode, a name that is not ``.csv``/``.txt``, an
        empty file, a file over ``max_bytes``, or a file that is not text (a NUL byte, as in a
        spreadsheet saved as .xlsx).
    """
    if kind not in KINDS:
        raise UploadError("Unknown kind of file: {kind}.", kind=kind)
    if on_duplicate not in MODES:
        raise UploadError("Unknown duplicate mode: {mode}.", mode=on_duplicate)
    name = Path(file_name or "").name
    if not name.lower().endswith((".csv", ".txt")):
        raise UploadError("Send a CSV file (.csv or .txt), not {name}.", name=name or "-")
    token = secrets.token_hex(12)
    data, _meta = _paths(config, token)
    data.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with data.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError("The file is larger than {mb} MB.", mb=max_bytes // 2**20)
                if size == len(chunk) and (b"\x00" in chunk[:4096] or chunk[:2] == b"PK"):
                    raise UploadError("This is not a CSV text file (save the sheet as CSV).")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadError("The file is empty.")
    except BaseException:
        data.unlink(missing_ok=True)
        raise
    upload = Upload(
        token, kind, on_duplicate, name[:255], actor, size, digest.hexdigest(), now.isoformat()
    )
    _save_meta(config, upload)
    return upload


def _options(app: Flask, upload: Upload) -> imports.ImportOptions:
    return imports.options_for_app(
        app, on_duplicate=upload.on_duplicate, actor=upload.actor, file_name=upload.file_name
    )


def _write_error_files(app: Flask, upload: Upload, stage: str, report: Any) -> None:
    for lang in LANGS:
        imports.write_errors(report, errors_path(app.config, upload.token, stage, lang), lang)


def dry_run(app: Flask, cipher: CpfCipher, upload: Upload) -> tuple[Upload, Any]:
    """The import's :func:`plan` on the upload: its counts kept with it, its rejections as the
    dry run's error files, and an ``import.plan`` audit row.

    :raises imports.ImportFileError: the file cannot be read or lacks a required column.
    """
    data, _ = _paths(app.config, upload.token)
    uow = SqlUnitOfWork.for_app(app)
    report = imports.plan(uow, cipher, upload.kind, data, _options(app, upload))
    _write_error_files(app, upload, "plan", report)
    upload = replace(upload, plan=report.counts())
    _save_meta(app.config, upload)
    with uow:
        uow.audit(
            "admin", upload.actor, "import.plan", "import_upload", upload.token,
            kind=upload.kind, file=upload.file_name, sha256=upload.sha256, size=upload.size,
            on_duplicate=upload.on_duplicate, **report.counts(),
        )  # fmt: skip
        uow.commit()
    return upload, report


def queue_run(app: Flask, upload: Upload, actor: str, now: dt.datetime) -> str:
    """Queue the ``import`` job for the upload (audited as ``import.queue``); its period.

    Asking twice queues once: the period is the upload's.
    """
    if upload.period is not None:
        return upload.period
    if upload.plan is None:
        raise UploadError("Run the dry run first.")
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        period = runs.request_run(uow.session, JOB, actor, now, key=upload.token)
        uow.audit(
            "admin", actor, "import.queue", "import_upload", upload.token, kind=upload.kind,
            file=upload.file_name, sha256=upload.sha256, period=period,
        )  # fmt: skip
        uow.commit()
    _save_meta(app.config, replace(upload, period=period))
    return period


def import_job(ctx: JobContext) -> JobReport:
    """The ``import`` job: run the upload its period names (``manual:<token>``).

    Safe to run twice: the import keys every row by its external id, and a second run of the
    same file finds them (``unchanged``); a run killed half-way resumes after its last batch.
    """
    token = ctx.period.split(":", 1)[-1]
    try:
        upload = load(ctx.app.config, token)
    except UploadNotFound:
        return JobReport(detail={"note": "no uploaded file for this run"})
    data, _ = _paths(ctx.app.config, token)
    cipher: CpfCipher = ctx.app.extensions["tillclub.cpf"]
    report = imports.run(
        SqlUnitOfWork.for_app(ctx.app), cipher, upload.kind, data, _options(ctx.app, upload)
    )
    _write_error_files(ctx.app, upload, "run", report)
    _save_meta(ctx.app.config, replace(upload, run_id=report.run_id, result=report.counts()))
    counts = report.counts()
    return JobReport(
        processed=counts["rows_read"],
        changed=counts["created"] + counts["updated"],
        detail={"token": token, "run_id": report.run_id, "kind": upload.kind, **counts},
    )


@dataclass(frozen=True)
class Status:
    """Where an upload's run is, for the progress bar and its JSON."""

    state: str  # planned | queued | running | done | failed
    rows_done: int
    rows_total: int
    counts: dict[str, int]
    error: str | None = None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


def status(session: Session, upload: Upload) -> Status:
    total = (upload.plan or {}).get("rows_read", 0)
    if upload.period is None:
        return Status("planned", 0, total, dict(upload.plan or {}))
    job = session.scalars(
        select(JobRun).where(JobRun.job == JOB, JobRun.period == upload.period)
    ).first()
    run = session.scalars(
        select(ImportRun)
        .where(ImportRun.kind == upload.kind, ImportRun.file_sha256 == upload.sha256)
        .order_by(ImportRun.id.desc())
        .limit(1)
    ).first()
    counts: dict[str, int] = {}
    done = 0
    if run is not None and run.started_at >= dt.datetime.fromisoformat(upload.uploaded_at):
        counts = {k: int(getattr(run, k)) for k in
                  ("rows_read", "created", "updated", "unchanged", "rejected")}  # fmt: skip
        done = counts["rows_read"]
    state = "queued" if job is None else job.status
    if state == "done" and upload.result is not None:
        counts = dict(upload.result)
    error = job.error if job is not None and job.status == "failed" else None
    return Status(state, done, total, counts, error)


@dataclass(frozen=True)
class PastImport:
    run: ImportRun
    token: str | None  # the upload it came from (None: the CLI's)


def past_imports(session: Session, limit: int = 50) -> list[PastImport]:
    """The latest import runs (CLI and web), newest first, with their uploads where known."""
    rows = list(session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))
    tokens: dict[int, str] = {}
    for detail in session.scalars(
        select(JobRun.detail).where(JobRun.job == JOB, JobRun.detail.is_not(None))
    ):
        if isinstance(detail, dict) and detail.get("run_id") and detail.get("token"):
            tokens[int(detail["run_id"])] = str(detail["token"])
    return [PastImport(r, tokens.get(r.id)) for r in rows]


def rejected_rows(path: Path, limit: int = 100) -> Iterator[tuple[str, str]]:
    """(line, reason) of the first ``limit`` rows of an error file (its last two columns)."""
    import csv

    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError:
        return
    with handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader, None)
        for i, row in enumerate(reader):
            if i >= limit:
                return
            if len(row) >= 2:
                yield row[-2], row[-1]
