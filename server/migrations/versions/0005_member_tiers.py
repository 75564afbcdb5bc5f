"""member tiers: the tier the review job gave each member, synced to the tills

``members.tier`` is the ladder step the last tier review gave (``None`` before the first run
or without a ladder); ``members.tier_reviewed_at`` is when the last full review (the one that
may move a member down) ran for that member.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tier_reviewed_at", server.db.TZDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("tier_reviewed_at")
        batch_op.drop_column("tier")
