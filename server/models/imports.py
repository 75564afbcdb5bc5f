"""What the importer keeps: one row per import run, and which old-system id became which row.

``import_runs`` is the run's record (who, when, kind, file SHA-256, counts, status) and its
resume position: the last file line whose batch committed. ``import_keys`` maps an external id
of the old system (per kind) to the member or ledger entry it made or merged into, so a
re-run of the same file, or a run resumed after ``kill -9``, finds each row again instead of
doubling it. Cards are keyed by their number and sales by an id derived from the external id
(``I:<external id>``), so they need no key row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # members | cards | balances | sales
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    on_duplicate: Mapped[str] = mapped_column(String(16))  # merge | report
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    # The last line of the file (1 = the header) whose batch is committed: a resumed run
    # starts after it.
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, default=0)
    unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_import_runs_kind_sha", "kind", "file_sha256"),)


class ImportKey(Base):
    __tablename__ = "import_keys"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(128))
    run_id: Mapped[int] = mapped_column(Integer)
