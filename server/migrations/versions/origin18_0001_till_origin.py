"""rejected_events keyed by (terminal_id, event_id); held_entries (till grants awaiting head office)

A till that pushes another terminal's event id is listed under its own terminal and never
touches the other's row. ``held_entries`` keeps ledger entries a till sent beyond what the
server lets a till grant alone, until head office approves or rejects them.

Revision ID: origin18_0001
Revises: restore18_0001
Create Date: 2026-12-07 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "origin18_0001"
down_revision: str | Sequence[str] | None = "restore18_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rejected_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_events_terminal_id"))
        batch_op.drop_constraint("pk_rejected_events", type_="primary")
        batch_op.create_primary_key("pk_rejected_events", ["terminal_id", "event_id"])
    op.create_table(
        "held_entries",
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", server.db.Cents(), nullable=False),
        sa.Column("sale_id", sa.String(length=128), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("held_at", server.db.TZDateTime(), nullable=False),
        sa.Column("decided_at", server.db.TZDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_held_entries")),
    )
    with op.batch_alter_table("held_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_entries_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_held_entries_terminal_id"), ["terminal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("held_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_entries_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_held_entries_status"))
    op.drop_table("held_entries")
    # Rows of one event id from two terminals cannot share the old key: keep the latest.
    op.execute(
        "DELETE FROM rejected_events WHERE EXISTS (SELECT 1 FROM rejected_events r2 "
        "WHERE r2.event_id = rejected_events.event_id "
        "AND r2.last_seen_at > rejected_events.last_seen_at)"
    )
    with op.batch_alter_table("rejected_events", schema=None) as batch_op:
        batch_op.drop_constraint("pk_rejected_events", type_="primary")
        batch_op.create_primary_key("pk_rejected_events", ["event_id"])
        batch_op.create_index(
            batch_op.f("ix_rejected_events_terminal_id"), ["terminal_id"], unique=False
        )
