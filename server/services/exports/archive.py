"""Write the export archive: one zip with ``csv/<table>.csv``, ``parquet/<table>.parquet`` and
``manifest.json``, streamed table by table in bounded memory.

Each table is read once: every row goes to its CSV entry (written straight into the zip) and
to a column buffer that becomes one Parquet row group every ``batch_rows`` rows (a Parquet file
needs its footer at the end, so it is written to a temporary file and then copied into the zip
in chunks). Memory holds one batch, whatever the size of the chain. The archive is written as
``<out>.part`` and renamed when complete, so a half-written export never looks finished.

CSV: RFC 4180 (``,`` separator, ``"`` quoting, CRLF), UTF-8 without BOM, a header row with the
column names of ``docs/export.md``; values as :mod:`.columns` writes them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from .columns import KINDS, arrow_value, csv_cell, schema
from .tables import TABLES, Source, Table

FORMAT = "tillclub-export"
VERSION = 1
_CHUNK = 1 << 20
_CSV_BUFFER = 1 << 18  # CSV bytes handed to the zip's compressor at a time

Progress = Callable[[str, int], None]  # (table, rows written so far)


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: the archive, its SHA-256 and size, rows per table."""

    path: Path
    sha256: str
    size: int
    rows: dict[str, int]
    cpf: str  # "clear" | "omitted"
    notes: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.rows.items())
        return f"{self.path.name}: {counts}"


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes what passes through to ``inner``."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.inner.write(view)
        self.size += len(view)
        return len(view)


def _flush(writer: pq.ParquetWriter, table: Table, buffer: list[list[Any]]) -> None:
    if not buffer[0]:
        return
    arrays = [
        pa.array(values, type=KINDS[c.kind].arrow)
        for values, c in zip(buffer, table.columns, strict=True)
    ]
    writer.write_batch(pa.record_batch(arrays, schema=writer.schema))
    for values in buffer:
        values.clear()


def _write_table(
    zf: zipfile.ZipFile, table: Table, src: Source, work: Path, batch_rows: int,
    progress: Progress | None,
) -> dict[str, Any]:  # fmt: skip
    kinds = [KINDS[c.kind] for c in table.columns]
    width = len(kinds)
    parquet_path = work / f"{table.name}.parquet"
    writer = pq.ParquetWriter(parquet_path, schema(table.columns), compression="zstd")
    buffer: list[list[Any]] = [[] for _ in range(width)]
    rows = 0
    with zf.open(f"csv/{table.name}.csv", "w", force_zip64=True) as raw:
        hashing = _Hashing(raw)
        buffered = io.BufferedWriter(hashing, _CSV_BUFFER)
        text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        out = csv.writer(text)
        out.writerow([c.name for c in table.columns])
        try:
            for row in table.rows(src):
                if len(row) != width:
                    raise ValueError(f"{table.name}: a row of {len(row)} values, {width} columns")
                out.writerow([csv_cell(k, v) for k, v in zip(kinds, row, strict=True)])
                for values, k, v in zip(buffer, kinds, row, strict=True):
                    values.append(arrow_value(k, v))
                rows += 1
                if rows % batch_rows == 0:
                    _flush(writer, table, buffer)
                    if progress is not None:
                        progress(table.name, rows)
            _flush(writer, table, buffer)
        finally:
            writer.close()
            text.flush()
            text.detach()
    digest = hashlib.sha256()
    with parquet_path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    # Parquet is compressed already (zstd): store it as it is.
    zf.write(parquet_path, f"parquet/{table.name}.parquet", compress_type=zipfile.ZIP_STORED)
    parquet_path.unlink()
    if progress is not None:
        progress(table.name, rows)
    return {
        "rows": rows,
        "csv": f"csv/{table.name}.csv",
        "csv_sha256": hashing.digest.hexdigest(),
        "parquet": f"parquet/{table.name}.parquet",
        "parquet_sha256": digest.hexdigest(),
        "description": table.doc,
        "columns": [{"name": c.name, "type": c.kind} for c in table.columns],
    }


def write_archive(
    src: Source,
    out: Path,
    *,
    tables: Sequence[Table] = TABLES,
    batch_rows: int = 10_000,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the archive of ``tables`` read from ``src`` to ``out`` (replaced if it exists).

    :param batch_rows: rows per Parquet row group, and how often ``progress`` is called.
    :raises OSError: the archive cannot be written (nothing is left at ``out``).
    """
    out = Path(out)
    part = out.with_name(out.name + ".part")
    entries: dict[str, Any] = {}
    try:
        with (
            zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf,
            tempfile.TemporaryDirectory(prefix="tillclub-export-", dir=out.parent) as work,
        ):
            for table in tables:
                entries[table.name] = _write_table(zf, table, src, Path(work), batch_rows, progress)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": src.now.astimezone(dt.UTC).isoformat(),
                "cpf": "clear" if src.cipher is not None else "omitted",
                "notes": src.notes,
                "tables": entries,
            }
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with out.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return ExportReport(
        path=out,
        sha256=digest.hexdigest(),
        size=out.stat().st_size,
        rows={name: e["rows"] for name, e in entries.items()},
        cpf="clear" if src.cipher is not None else "omitted",
        notes=dict(src.notes),
    )
