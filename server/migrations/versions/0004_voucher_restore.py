"""voucher restore: a full refund of a sale gives back the voucher use it consumed

``voucher_uses.restored_at`` is set when the refund that completes the sale's refund is applied;
settlement leaves restored uses out, so a single-use voucher is valid again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restored_at", server.db.TZDateTime(), nullable=True))
        batch_op.add_column(sa.Column("restored_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.drop_column("restored_by")
        batch_op.drop_column("restored_at")
