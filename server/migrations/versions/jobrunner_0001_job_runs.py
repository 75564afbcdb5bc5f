"""job runs: one row per (job, period) claimed by INSERT; vouchers.expired_at

``job_runs`` records every background run (scheduled or "run now"): status, attempts,
lease, timings, result summary and error. ``vouchers.expired_at`` is set by the voucher
expiry job for vouchers past their validity (indexed with ``valid_until`` for its batches).

Revision ID: jobrunner_0001
Revises: ingestjournal_0001
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "jobrunner_0001"
down_revision: str | Sequence[str] | None = "ingestjournal_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=64), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("started_at", server.db.TZDateTime(), nullable=True),
        sa.Column("finished_at", server.db.TZDateTime(), nullable=True),
        sa.Column("lease_until", server.db.TZDateTime(), nullable=True),
        sa.Column("next_attempt_at", server.db.TZDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=True),
        sa.Column("changed", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period", name=op.f("uq_job_runs_job")),
    )
    op.create_index("ix_job_runs_job_created", "job_runs", ["job", "created_at"])
    op.create_index("ix_job_runs_status", "job_runs", ["status"])
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expired_at", server.db.TZDateTime(), nullable=True))
        batch_op.create_index("ix_vouchers_expiry", ["expired_at", "valid_until"])


def downgrade() -> None:
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index("ix_vouchers_expiry")
        batch_op.drop_column("expired_at")
    op.drop_index("ix_job_runs_status", table_name="job_runs")
    op.drop_index("ix_job_runs_job_created", table_name="job_runs")
    op.drop_table("job_runs")
