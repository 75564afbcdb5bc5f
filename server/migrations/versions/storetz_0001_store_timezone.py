"""stores.timezone (the store's IANA zone, master data) and stores.change_seq (tills pull it)

Existing stores keep ``timezone`` NULL ("not set": the campaigns' zones apply as before, so
no store changes zone on upgrade); head office sets it on the store page or with
``tillclub server set-store-timezone``. Each existing store takes a new change number, so
every till pulls its store record on its next sync.

Revision ID: storetz_0001
Revises: jobwork_0001
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "storetz_0001"
down_revision: str | Sequence[str] | None = "jobwork_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM stores ORDER BY id"))]
    if ids:
        last = conn.execute(
            sa.text("UPDATE change_counter SET value = value + :n WHERE id = 1 RETURNING value"),
            {"n": len(ids)},
        ).scalar_one()
        first = last - len(ids) + 1
        conn.execute(
            sa.text("UPDATE stores SET change_seq = :seq WHERE id = :id"),
            [{"seq": first + i, "id": store_id} for i, store_id in enumerate(ids)],
        )
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.alter_column("change_seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(batch_op.f("ix_stores_change_seq"), ["change_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_change_seq"))
        batch_op.drop_column("change_seq")
        batch_op.drop_column("timezone")
