"""The full export: the CLI, CPFs in clear or omitted, the audit row, the manifest, every column
documented in docs/export.md, and memory that does not grow with the number of members."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tracemalloc
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import AuditLog, Member
from server.security import CpfCipher
from server.services.exports import TABLES, Source, export_chain, write_archive
from server.services.exports.columns import Column
from server.services.exports.tables import Table
from server.services.members import add_member
from server.services.uow import SqlUnitOfWork
from tillclub.cli import main

DOC = Path(__file__).resolve().parents[3] / "docs" / "export.md"
CPF = "52998224725"


def test_every_table_and_column_is_documented_under_its_heading() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)
    by_name = {s.split("`")[1]: s for s in sections[1:] if s.startswith("`")}
    for table in TABLES:
        assert table.name in by_name, table.name
        for column in table.columns:
            assert f"| `{column.name}` |" in by_name[table.name], (table.name, column.name)


def _rows(archive: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(archive) as zf:
        return list(csv.DictReader(io.StringIO(zf.read(f"csv/{name}.csv").decode("utf-8"))))


def test_cli_export_writes_the_archive_prints_its_hash_and_is_audited(
    tmp_path: Path, make_app: object
) -> None:
    runner = CliRunner()
    config = tmp_path / "server.toml"
    db = tmp_path / "cli.db"
    for args in (
        ["init-config", str(config), "--database-url", f"sqlite:///{db}"],
        ["init-db"],
        ["add-store", "LOJA-01", "Centro"],
    ):
        r = runner.invoke(main, ["server", "--config", str(config), *args])
        assert r.exit_code == 0, r.output
    from server import create_app
    from server.config import load_config

    app = create_app(load_config(config))
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "M1", "Ana",
               cpf=CPF, card_number="2900000000017")  # fmt: skip
    out = tmp_path / "out" / "chain.zip"
    r = runner.invoke(main, ["server", "--config", str(config), "export", "--out", str(out)])
    assert r.exit_code == 0, r.output
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert line["rows"]["members"] == 1
    assert line["rows"]["stores"] == 1
    assert line["cpf"] == "clear"
    assert len(line["sha256"]) == 64
    assert _rows(out, "members")[0]["cpf"] == CPF
    assert not out.with_name("chain.zip.part").exists()
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
    assert manifest["format"] == "tillclub-export"
    assert manifest["tables"]["cards"]["rows"] == 1
    for table in TABLES:
        assert f"csv/{table.name}.csv" in names
        assert f"parquet/{table.name}.parquet" in names
    r = runner.invoke(
        main, ["server", "--config", str(config), "export", "--out", str(out), "--without-cpf"]
    )
    assert r.exit_code == 0, r.output
    assert _rows(out, "members")[0]["cpf"] == ""
    with new_session(app) as s:
        audits = list(s.scalars(select(AuditLog).where(AuditLog.action == "export.full")))
    assert [(a.actor_type, a.detail["cpf"]) for a in audits] == [("cli", "clear"),
                                                                  ("cli", "omitted")]  # fmt: skip
    assert audits[0].detail["rows"]["members"] == 1
    assert CPF not in json.dumps([a.detail for a in audits])


def test_a_cpf_under_another_key_is_left_empty_and_counted(app: Flask, tmp_path: Path) -> None:
    other = CpfCipher(b"o" * 32, b"h" * 32)
    now = dt.datetime.now(dt.UTC)
    with new_session(app) as s, s.begin():
        s.add(Member(id="X1", name="Restored", cpf_encrypted=other.encrypt(CPF, "X1"),
                     cpf_hash="x", created_at=now, updated_at=now))  # fmt: skip
    report = export_chain(app, tmp_path / "a.zip", actor_type="cli", actor_id="t")
    assert report.notes == {"cpf_unreadable": 1}
    assert _rows(tmp_path / "a.zip", "members")[0]["cpf"] == ""


def _synthetic(n: int) -> Table:
    """A members-like table of ``n`` generated rows: what the archive streams, without a
    database in the way (the readers stream with ``yield_per`` and keyset pages)."""
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)

    def rows(src: Source) -> Iterator[tuple[object, ...]]:
        for i in range(n):
            yield (f"M{i:08d}", f"Cliente {i} " + "x" * 60, "52998224725", Decimal(i) / 100,
                   now, dt.date(1980, 1, 1 + i % 28), i % 2 == 0, {"i": i})  # fmt: skip

    columns = (
        Column("external_id", "text", ""), Column("name", "text", ""),
        Column("cpf", "text", ""), Column("amount", "money", ""),
        Column("at", "datetime", ""), Column("born", "date", ""),
        Column("flag", "bool", ""), Column("extra", "json", ""),
    )  # fmt: skip
    return Table("synthetic", "", columns, rows)


def _peak(n: int, out: Path) -> int:
    src = Source(cast(Any, None), None, dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
    tracemalloc.start()
    try:
        report = write_archive(src, out, tables=[_synthetic(n)], batch_rows=1000)
        assert report.rows == {"synthetic": n}
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    """GIVEN 10,000 then 100,000 rows WHEN each is archived THEN the peak of Python memory
    stays within twice the small one's (holding the rows would grow it ten-fold, ~15 MB more):
    one batch of 1,000 rows for the Parquet row group and the CSV buffer (256 KB) on its way
    into the zip. (Measured here: 1.7 MB for 20,000 rows, 2.6 MB for 200,000.)"""
    small = _peak(10_000, tmp_path / "small.zip")
    large = _peak(100_000, tmp_path / "large.zip")
    assert large < small * 2, (small, large)
    with zipfile.ZipFile(tmp_path / "large.zip") as zf:
        with zf.open("csv/synthetic.csv") as f:
            assert sum(1 for _ in f) == 100_001
