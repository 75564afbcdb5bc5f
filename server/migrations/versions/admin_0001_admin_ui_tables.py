"""admin ui: login state, store scopes, drafts, simulations, segments, terminal reports

Also makes ``audit_log`` append-only on PostgreSQL (a trigger refusing UPDATE and DELETE).

Revision ID: admin_0001
Revises: portal_0001
Create Date: 2026-11-23 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "admin_0001"
down_revision: str | Sequence[str] | None = "portal_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_id_counters",
        sa.Column("worker", sa.String(length=32), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_admin_id_counters")),
    )
    op.create_table(
        "campaign_drafts",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("store_ids", sa.JSON(), nullable=True),
        sa.Column("valid_from", server.db.TZDateTime(), nullable=True),
        sa.Column("valid_until", server.db.TZDateTime(), nullable=True),
        sa.Column("updated_at", server.db.TZDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("simulated_at", server.db.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_drafts")),
    )
    op.create_table(
        "campaign_simulations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("period_from", server.db.TZDateTime(), nullable=False),
        sa.Column("period_until", server.db.TZDateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_simulations")),
    )
    with op.batch_alter_table("campaign_simulations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_simulations_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "voucher_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", server.db.TZDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_batches")),
    )
    op.create_table(
        "member_segments",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", server.db.Cents(), nullable=False),
        sa.Column("contribution", server.db.Cents(), nullable=False),
        sa.Column("r_score", sa.Integer(), nullable=False),
        sa.Column("f_score", sa.Integer(), nullable=False),
        sa.Column("m_score", sa.Integer(), nullable=False),
        sa.Column("rfm_segment", sa.String(length=32), nullable=False),
        sa.Column("value_class", sa.String(length=32), nullable=False),
        sa.Column("computed_at", server.db.TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_segments_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_segments")),
    )
    with op.batch_alter_table("member_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_segments_rfm_segment"), ["rfm_segment"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_member_segments_value_class"), ["value_class"], unique=False
        )

    op.create_table(
        "admin_login_state",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", server.db.TZDateTime(), nullable=True),
        sa.Column("locked_until", server.db.TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["admin_users.id"], name=op.f("fk_admin_login_state_user_id_admin_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_admin_login_state")),
    )
    op.create_table(
        "admin_user_stores",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_admin_user_stores_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["admin_users.id"], name=op.f("fk_admin_user_stores_user_id_admin_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "store_id", name=op.f("pk_admin_user_stores")),
    )
    op.create_table(
        "terminal_reports",
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("agent_version", sa.String(length=40), nullable=True),
        sa.Column("queue_depth", sa.Integer(), nullable=True),
        sa.Column("reported_at", server.db.TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_terminal_reports_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint("terminal_id", name=op.f("pk_terminal_reports")),
    )
    _audit_log_append_only()


def downgrade() -> None:
    _drop_audit_log_guard()
    op.drop_table("terminal_reports")
    op.drop_table("admin_user_stores")
    op.drop_table("admin_login_state")
    with op.batch_alter_table("member_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_segments_value_class"))
        batch_op.drop_index(batch_op.f("ix_member_segments_rfm_segment"))

    op.drop_table("member_segments")
    op.drop_table("voucher_batches")
    with op.batch_alter_table("campaign_simulations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_simulations_campaign_id"))

    op.drop_table("campaign_simulations")
    op.drop_table("campaign_drafts")
    op.drop_table("admin_id_counters")


# UPDATE is refused to everyone. DELETE and TRUNCATE are refused too, except inside a
# transaction that says ``SET LOCAL tillclub.audit_purge = 'on'`` (a deliberate retention
# purge) or for a superuser, who could drop the trigger anyway (the tests' table resets run as
# one). Run the application as an ordinary role and the log is append-only for it.
GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION tillclub_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND (
        coalesce(current_setting('tillclub.audit_purge', true), '') = 'on'
        OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def _audit_log_append_only() -> None:
    """PostgreSQL only; on SQLite the app simply has no update or delete path for the log."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GUARD_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION tillclub_audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION tillclub_audit_log_append_only()"
    )


def _drop_audit_log_guard() -> None:
    """Undo :func:`_audit_log_append_only`."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS tillclub_audit_log_append_only()")
