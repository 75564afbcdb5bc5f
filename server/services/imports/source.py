"""Reading an import file: its SHA-256, its encoding and delimiter, and its rows by line.

Brazilian spreadsheets write CSV with ``;`` (a comma is the decimal separator) and often a
UTF-8 BOM; other exports use ``,``. The delimiter is the one of ``;``, ``,`` and tab that the
header line has most of. The encoding is UTF-8 (with or without BOM); a file whose first
megabyte is not valid UTF-8 is read as Windows-1252 (what Excel writes in Brazil when asked
for "CSV"), so an accented name is never refused for its encoding alone.

Headers are matched without case, accents, spaces or hyphens (``"Data de Nascimento"`` is
``data_de_nascimento``), against each kind's names and aliases (:mod:`.columns`). The file is
read once, streamed: memory does not grow with its size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from .errors import ImportFileError

Source = Path | str | BinaryIO
_SAMPLE = 1 << 20
_DELIMITERS = (";", ",", "\t")
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class Line:
    """One record: its line in the file (the header is line 1), its cells by column name, and
    the cells as written (for the error file)."""

    number: int
    cells: dict[str, str]
    raw: list[str]


def normalize_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    for ch in " -./":
        text = text.replace(ch, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


def _open(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, str | Path):
        try:
            return open(source, "rb"), True  # noqa: SIM115 (closed by the reader)
        except OSError as exc:
            raise ImportFileError(
                "cannot read {path}: {error}", path=str(source), error=str(exc)
            ) from None
    return source, False


def file_sha256(source: Source) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size in bytes; a stream is rewound after."""
    stream, owned = _open(source)
    try:
        start = stream.tell()
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(1 << 16):
            digest.update(chunk)
            size += len(chunk)
        stream.seek(start)
        return digest.hexdigest(), size
    finally:
        if owned:
            stream.close()


def _encoding(sample: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


class _Counting(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


class CsvRows:
    """The records of ``source`` after its header, as :class:`Line` s.

    :raises ImportFileError: an empty file, or a header without a delimiter or a column twice.
    """

    def __init__(self, source: Source, aliases: dict[str, str]) -> None:
        self._stream, self._owned = _open(source)
        start = self._stream.tell()
        sample = self._stream.read(_SAMPLE)
        self._stream.seek(start)
        self.encoding = _encoding(sample)
        self._counter = _Counting(self._stream)
        text = io.TextIOWrapper(
            io.BufferedReader(self._counter), encoding=self.encoding, newline=""
        )
        first = sample.decode(self.encoding, errors="replace").lstrip("\ufeff")
        header_line = first.splitlines()[0] if first.strip() else ""
        if not header_line.strip():
            self.close()
            raise ImportFileError("the file is empty (no header line)")
        self.delimiter = max(_DELIMITERS, key=header_line.count)
        self._reader = csv.reader(text, delimiter=self.delimiter)
        header = next(self._reader)
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        names = [aliases.get(normalize_header(h), normalize_header(h)) for h in self.header]
        seen = [n for n in names if n and names.count(n) > 1]
        if seen:
            self.close()
            raise ImportFileError("column {name} appears twice in the header", name=seen[0])
        self.columns = names

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    def __iter__(self) -> Iterator[Line]:
        names = self.columns
        width = len(names)
        for raw in self._reader:
            if not any(cell.strip() for cell in raw):
                continue  # blank lines (spreadsheets end files with a few)
            cells = {names[i]: raw[i].strip() for i in range(min(width, len(raw))) if names[i]}
            yield Line(self._reader.line_num, cells, raw)

    def close(self) -> None:
        if self._owned:
            self._stream.close()
