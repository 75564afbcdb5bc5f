"""member portal: accounts, sessions, consent history, password resets

Revision ID: portal_0001
Revises: 0001
Create Date: 2026-11-23 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "portal_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("login_email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("claimed_from_till", sa.Boolean(), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("password_changed_at", server.db.TZDateTime(), nullable=False),
        sa.Column("deleted_at", server.db.TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_portal_accounts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_portal_accounts")),
        sa.UniqueConstraint("login_email", name=op.f("uq_portal_accounts_login_email")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("last_seen_at", server.db.TZDateTime(), nullable=False),
        sa.Column("expires_at", server.db.TZDateTime(), nullable=False),
        sa.Column("revoked_at", server.db.TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_portal_sessions_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_sessions")),
    )
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_sessions_member_id"), ["member_id"], unique=False
        )
    op.create_table(
        "portal_consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", server.db.TZDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("terms_version", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_portal_consents_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_consents")),
    )
    with op.batch_alter_table("portal_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_consents_member_id"), ["member_id"], unique=False
        )
    op.create_table(
        "portal_password_resets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("expires_at", server.db.TZDateTime(), nullable=False),
        sa.Column("used_at", server.db.TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_portal_password_resets_member_id_members")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_password_resets")),
    )
    with op.batch_alter_table("portal_password_resets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_password_resets_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    for table in ("portal_password_resets", "portal_consents", "portal_sessions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_member_id"))
        op.drop_table(table)
    op.drop_table("portal_accounts")
