"""Fixtures for the importer's tests: an app with two stores and a way to import text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.services import imports
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork

EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "examples" / "import"


class Importer:
    """Import CSV text (or a file) of a kind into the app, as the CLI does."""

    def __init__(self, app: Flask, tmp: Path) -> None:
        self.app = app
        self.tmp = tmp
        self.uow = SqlUnitOfWork.for_app(app)
        self.cipher = app.extensions["tillclub.cpf"]
        self.n = 0

    def file(self, text: str, encoding: str = "utf-8") -> Path:
        self.n += 1
        path = self.tmp / f"file{self.n}.csv"
        path.write_bytes(text.encode(encoding))
        return path

    def options(self, **kw: Any) -> imports.ImportOptions:
        kw.setdefault("legacy_card_prefixes", ("27",))
        return imports.options_for_app(self.app, **kw)

    def run(self, kind: str, source: str | Path, **kw: Any) -> imports.ImportReport:
        path = source if isinstance(source, Path) else self.file(source)
        return imports.run(self.uow, self.cipher, kind, path, self.options(**kw))

    def plan(self, kind: str, source: str | Path, **kw: Any) -> imports.ImportReport:
        path = source if isinstance(source, Path) else self.file(source)
        return imports.plan(self.uow, self.cipher, kind, path, self.options(**kw))

    def count(self, model: Any) -> int:
        with self.uow.reading() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    def rows(self, stmt: Any) -> list[Any]:
        with self.uow.reading() as s:
            return list(s.execute(stmt))


@pytest.fixture
def importer(app: Flask, tmp_path: Path) -> Iterator[Importer]:
    uow = SqlUnitOfWork.for_app(app)
    add_store(uow, "LOJA-01", "Loja 1")
    add_store(SqlUnitOfWork.for_app(app), "LOJA-02", "Loja 2")
    return Importer(app, tmp_path)
