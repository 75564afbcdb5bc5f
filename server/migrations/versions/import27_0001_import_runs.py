"""import_runs (who, when, kind, file hash, counts, resume position) and import_keys

The importer (``server/services/imports``) records each run and maps each external id of the
old system to the row it made, so re-running or resuming a file never doubles a row.

Revision ID: import27_0001
Revises: refunds_0001
Create Date: 2026-12-07 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "import27_0001"
down_revision: str | Sequence[str] | None = "refunds_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("on_duplicate", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", server.db.TZDateTime(), nullable=False),
        sa.Column("finished_at", server.db.TZDateTime(), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index("ix_import_runs_kind_sha", ["kind", "file_sha256"], unique=False)
    op.create_table(
        "import_keys",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "external_id", name=op.f("pk_import_keys")),
    )


def downgrade() -> None:
    op.drop_table("import_keys")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_runs_kind_sha")
    op.drop_table("import_runs")
