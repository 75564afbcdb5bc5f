"""The downloadable error file: each rejected row as it was written, plus ``linha`` and ``motivo``.

The file keeps the original columns (so the operator fixes the rows in the spreadsheet and
imports the error file itself), with the delimiter ``;`` and a UTF-8 BOM, which Excel in
Brazil opens as columns; the reason is in the operator's language.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

from .report import ImportReport

LINE_COLUMN = {"pt-BR": "linha", "en": "line"}
REASON_COLUMN = {"pt-BR": "motivo", "en": "reason"}


def write_errors(report: ImportReport, out: Path | str | TextIO, lang: str = "pt-BR") -> int:
    """Write ``report``'s rejected rows to ``out`` (a path, or a text stream opened with
    ``newline=""``); returns how many rows were written.

    A rejection whose row had more cells than the header keeps the extra cells at the end.
    """
    if isinstance(out, str | Path):
        with open(out, "w", encoding="utf-8-sig", newline="") as handle:
            return _write(report, handle, lang)
    return _write(report, out, lang)


def errors_csv_bytes(report: ImportReport, lang: str = "pt-BR") -> bytes:
    """The error file as bytes (for a download), UTF-8 with BOM."""
    buffer = io.StringIO(newline="")
    _write(report, buffer, lang)
    return buffer.getvalue().encode("utf-8-sig")


def _write(report: ImportReport, out: TextIO, lang: str) -> int:
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = list(report.header)
    writer.writerow([*header, LINE_COLUMN.get(lang, "line"), REASON_COLUMN.get(lang, "reason")])
    for r in report.rejected:
        cells = [r.row.get(name, "") for name in header]
        writer.writerow([*cells, str(r.line), r.text(lang)])
    return len(report.rejected)
