"""ledger jobs: each member's next due moment, job cursors, expiry notices

``ledger_due`` lets the expiry and maturation job read only the members whose next expiry or
maturity has come (an index on ``due_at``), ``job_cursors`` keeps the last ledger change number
the job has read into it, ``expiry_notices`` the amounts the daily notice job lists. The first
run of the job fills ``ledger_due`` from the existing ledger, in batches.

Revision ID: jobwork_0001
Revises: jobrunner_0001
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "jobwork_0001"
down_revision: str | Sequence[str] | None = "jobrunner_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_due",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("due_at", server.db.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_ledger_due")),
    )
    with op.batch_alter_table("ledger_due", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_due_due_at_member_id", ["due_at", "member_id"], unique=False
        )
    op.create_table(
        "job_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_cursors")),
    )
    op.create_table(
        "expiry_notices",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("expires_at", server.db.TZDateTime(), nullable=False),
        sa.Column("amount", server.db.Cents(), nullable=False),
        sa.Column("listed_at", server.db.TZDateTime(), nullable=False),
        sa.Column("sent_at", server.db.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint(
            "member_id", "currency", "expires_at", name=op.f("pk_expiry_notices")
        ),
    )
    with op.batch_alter_table("expiry_notices", schema=None) as batch_op:
        batch_op.create_index("ix_expiry_notices_listed_at", ["listed_at"], unique=False)


def downgrade() -> None:
    op.drop_table("expiry_notices")
    op.drop_table("job_cursors")
    op.drop_table("ledger_due")
