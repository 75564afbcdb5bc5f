"""The import use case: :func:`plan` (a dry run) and :func:`run`, for the CLI, the UI and jobs.

A run reads the file once, in batches of ``options.batch_size`` lines. Each batch is one
transaction: its rows are decided and written, and the run's counts and position (the last
line of the batch) are updated with them, so a run killed at any moment has written whole
batches and knows where it stopped. Running the same file again (same kind, same SHA-256)
after an interrupted run resumes that run after its position; after a finished run it reads
the file again and finds every row already there (``unchanged``). A bad row is rejected with
its line and reason and never stops the others. Each run is audited twice through the one
audit writer: when it starts (who, kind, file hash) and when it ends (the counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...models import ImportRun, Store
from ...security import CpfCipher
from ..uow import ADMIN, SqlUnitOfWork
from .errors import ImportFileError
from .kinds import Action, Context, Decision, KindImporter, Seen
from .registry import importer_for
from .report import ImportOptions, ImportReport, Kind, Progress
from .source import CsvRows, Line, Source, file_sha256

MAX_KEPT_REJECTIONS = 100_000  # beyond this only the count grows (the error file says so)
ProgressCallback = Callable[[Progress], None]


def plan(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    kind: Kind | str,
    source: Source,
    options: ImportOptions | None = None,
) -> ImportReport:
    """What :func:`run` would do with ``source``, writing nothing: rows read, would create,
    would update, unchanged, and each rejected row with its line and reason.

    :raises ImportFileError: the file cannot be read, or lacks a required column.
    """
    kind = Kind(kind)
    options = options or ImportOptions()
    sha, _ = file_sha256(source)
    importer = importer_for(kind)
    report = ImportReport(kind, True, sha, started_at=clock.now())
    rows = _open_rows(source, importer, report)
    try:
        seen = Seen(keep=kind is not Kind.SALES)
        with uow.reading() as session:
            ctx = _context(session, cipher, options, 0, True, seen, rows.header)
            for batch in _batches(rows, importer, options.batch_size, 0):
                _tally(report, importer.decide(ctx, batch))
                if not seen.keep:
                    seen.clear()
    finally:
        rows.close()
    report.finished_at = clock.now()
    return report


def run(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    kind: Kind | str,
    source: Source,
    options: ImportOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import ``source``: create and update what :func:`plan` lists, batch by batch.

    :param progress: called after each committed batch (bytes read of the total, rows).
    :returns: the report of this run; after a resumed run the counts are the run's totals
        and ``rejected`` lists the rejections of the lines read this time.
    :raises ImportFileError: the file cannot be read, or lacks a required column.
    """
    kind = Kind(kind)
    options = options or ImportOptions()
    sha, size = file_sha256(source)
    importer = importer_for(kind)
    report = ImportReport(kind, False, sha, status="running")
    rows = _open_rows(source, importer, report)
    try:
        run_id, position = _start(uow, kind, sha, source, options, report)
        seen = Seen(keep=kind is not Kind.SALES)
        for batch in _batches(rows, importer, options.batch_size, position):
            with uow:
                run_row = uow.session.get_one(ImportRun, run_id)
                ctx = _context(uow.session, cipher, options, run_id, False, seen, rows.header)
                decisions = importer.decide(ctx, batch)
                importer.write(ctx, [d for d in decisions if d.action is not Action.REJECT])
                before = report.counts()
                _tally(report, decisions)
                _add_counts(run_row, before, report.counts())
                run_row.position = batch[-1].number
                uow.commit()
            seen.clear()  # committed: the database knows these rows now
            if progress is not None:
                progress(Progress(rows.bytes_read, size, report.rows_read, batch[-1].number))
    except BaseException:
        _fail(uow, report)
        raise
    finally:
        rows.close()
    _finish(uow, report, options)
    return report


def _open_rows(source: Source, importer: KindImporter, report: ImportReport) -> CsvRows:
    rows = CsvRows(source, importer.aliases)
    missing = [c for c in importer.required if c not in rows.columns]
    if missing:
        rows.close()
        raise ImportFileError(
            "the file has no column {column} (see docs/import.md)", column=" / ".join(missing)
        )
    report.header = rows.header
    return rows


def _context(
    session: Session,
    cipher: CpfCipher,
    options: ImportOptions,
    run_id: int,
    dry_run: bool,
    seen: Seen,
    header: list[str],
) -> Context:
    stores = frozenset(session.scalars(select(Store.id)))
    return Context(
        session,
        cipher,
        options,
        ZoneInfo(options.time_zone),
        clock.now(),
        run_id,
        dry_run,
        seen,
        stores,
        header,
    )


def _batches(rows: CsvRows, importer: KindImporter, size: int, after: int) -> Iterator[list[Line]]:
    """Batches of about ``size`` lines after line ``after``; a kind with ``group`` (sales and
    their lines) never splits one group over two batches."""
    group = getattr(importer, "group", None)
    batch: list[Line] = []
    for line in rows:
        if line.number <= after:
            continue
        if len(batch) >= size and (group is None or group(batch[-1]) != group(line)):
            yield batch
            batch = []
        batch.append(line)
    if batch:
        yield batch


def _tally(report: ImportReport, decisions: Sequence[Decision]) -> None:
    for d in decisions:
        report.rows_read += 1
        if d.action is Action.CREATE:
            report.created += 1
        elif d.action is Action.UPDATE:
            report.updated += 1
        elif d.action is Action.UNCHANGED:
            report.unchanged += 1
        elif d.rejection is not None:
            report.rejected_count += 1
            if len(report.rejected) < MAX_KEPT_REJECTIONS:
                report.rejected.append(d.rejection)


def _add_counts(run_row: ImportRun, before: dict[str, int], after: dict[str, int]) -> None:
    for name in ("rows_read", "created", "updated", "unchanged", "rejected"):
        setattr(run_row, name, getattr(run_row, name) + after[name] - before[name])


def _start(
    uow: SqlUnitOfWork,
    kind: Kind,
    sha: str,
    source: Source,
    options: ImportOptions,
    report: ImportReport,
) -> tuple[int, int]:
    """The run to continue (an unfinished run of this kind and file) or a new one."""
    name = options.file_name or (Path(source).name if isinstance(source, str | Path) else "upload")
    with uow:
        now = clock.now()
        unfinished = uow.session.scalars(
            select(ImportRun)
            .where(
                ImportRun.kind == kind.value,
                ImportRun.file_sha256 == sha,
                ImportRun.status.in_(("running", "failed")),
            )
            .order_by(ImportRun.id.desc())
            .limit(1)
        ).first()
        if unfinished is not None:
            unfinished.status = "running"
            run_row = unfinished
            report.resumed_from = unfinished.position
            for field_name in ("rows_read", "created", "updated", "unchanged"):
                setattr(report, field_name, getattr(unfinished, field_name))
            report.rejected_count = unfinished.rejected
            action = "import.resume"
        else:
            run_row = ImportRun(
                kind=kind.value,
                file_name=name[:255],
                file_sha256=sha,
                actor=options.actor[:64],
                on_duplicate=options.on_duplicate.value,
                status="running",
                started_at=now,
                position=1,  # the header
                rows_read=0,
                created=0,
                updated=0,
                unchanged=0,
                rejected=0,
            )
            uow.session.add(run_row)
            action = "import.start"
        uow.session.flush()
        uow.audit(
            ADMIN,
            options.actor,
            action,
            "import_run",
            str(run_row.id),
            kind=kind.value,
            file=run_row.file_name,
            sha256=sha,
            on_duplicate=options.on_duplicate.value,
            position=run_row.position,
        )
        report.run_id, report.started_at = run_row.id, run_row.started_at
        position = run_row.position
        uow.commit()
    assert report.run_id is not None
    return report.run_id, position


def _finish(uow: SqlUnitOfWork, report: ImportReport, options: ImportOptions) -> None:
    with uow:
        run_row = uow.session.get_one(ImportRun, report.run_id)
        run_row.status = "done"
        run_row.finished_at = clock.now()
        uow.audit(
            ADMIN,
            options.actor,
            "import.finish",
            "import_run",
            str(run_row.id),
            kind=run_row.kind,
            sha256=run_row.file_sha256,
            **{
                k: getattr(run_row, k)
                for k in ("rows_read", "created", "updated", "unchanged", "rejected")
            },
        )
        uow.commit()
    report.status, report.finished_at = "done", run_row.finished_at


def _fail(uow: SqlUnitOfWork, report: ImportReport) -> None:
    """Mark the run failed (it resumes on the next run of the file); best effort."""
    if report.run_id is None:
        return
    try:
        with uow:
            run_row = uow.session.get_one(ImportRun, report.run_id)
            run_row.status = "failed"
            uow.commit()
        report.status = "failed"
    except Exception:  # noqa: BLE001 (the original error is what the caller must see)
        pass
