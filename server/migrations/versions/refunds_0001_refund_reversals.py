"""refund_reversals: every reversal a till's refund sends, capped by the entry it reverses

Reversals already in the ledger (``reverse`` entries a till sent, ``event_id`` set) are copied
in as ``applied``, so the cumulative caps count the refunds booked before the upgrade.

Revision ID: refunds_0001
Revises: origin18_0001
Create Date: 2026-12-07 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "refunds_0001"
down_revision: str | Sequence[str] | None = "origin18_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refund_reversals",
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("reverses", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("refund_id", sa.String(length=128), nullable=True),
        sa.Column("sale_id", sa.String(length=128), nullable=True),
        sa.Column("store_id", sa.String(length=32), nullable=True),
        sa.Column("terminal_id", sa.String(length=40), nullable=True),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("amount", server.db.Cents(), nullable=False),
        sa.Column("applied", server.db.Cents(), nullable=False),
        sa.Column("applied_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=True),
        sa.Column("recorded_at", server.db.TZDateTime(), nullable=False),
        sa.Column("settled_at", server.db.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_refund_reversals")),
    )
    with op.batch_alter_table("refund_reversals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refund_reversals_reverses"), ["reverses"], unique=False
        )
    op.execute(
        "INSERT INTO refund_reversals (entry_id, reverses, event_id, refund_id, sale_id, "
        "store_id, terminal_id, member_id, currency, amount, applied, applied_id, status, "
        "code, entry, recorded_at, settled_at) "
        "SELECT l.entry_id, l.reverses, l.event_id, r.refund_id, r.sale_id, l.store_id, "
        "l.terminal_id, l.member_id, l.currency, l.amount, l.amount, l.entry_id, 'applied', "
        "NULL, NULL, l.recorded_at, l.recorded_at "
        "FROM ledger_entries l JOIN refunds r ON r.event_id = l.event_id "
        "WHERE l.kind = 'reverse' AND l.reverses IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("refund_reversals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_reversals_reverses"))
    op.drop_table("refund_reversals")
