"""admin_sessions (server-side, revocable head-office sessions) and till_issues (what tills did
offline or with a wrong clock: events dated in the future or going back, a till clock off the
server's, vouchers used outside validity by server time, balances gone below zero)

Existing admin cookies name no session row, so every head-office user logs in again once
after the upgrade.

Revision ID: sessions18_0001
Revises: storetz_0001
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "sessions18_0001"
down_revision: str | Sequence[str] | None = "storetz_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("last_seen_at", server.db.TZDateTime(), nullable=False),
        sa.Column("revoked_at", server.db.TZDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["admin_users.id"], name=op.f("fk_admin_sessions_user_id_admin_users")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_admin_sessions")),
    )
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "till_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=160), nullable=False),
        sa.Column("occurred_at", server.db.TZDateTime(), nullable=True),
        sa.Column("received_at", server.db.TZDateTime(), nullable=False),
        sa.Column("skew_seconds", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_issues")),
        sa.UniqueConstraint("kind", "ref", name="uq_till_issues_kind_ref"),
    )
    with op.batch_alter_table("till_issues", schema=None) as batch_op:
        batch_op.create_index("ix_till_issues_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("till_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_till_issues_received_at")
    op.drop_table("till_issues")
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_sessions_user_id"))
    op.drop_table("admin_sessions")
