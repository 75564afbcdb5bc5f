"""products sync: brand and change_seq on products

Products already in the table get change numbers here (in SKU order, taken from the one
``change_counter`` row like any other change), so agents pull them on their next sync.

Revision ID: 0002
Revises: admin_0001
Create Date: 2026-11-23 07:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "admin_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=True))

    bind = op.get_bind()
    skus = [row[0] for row in bind.execute(sa.text("SELECT sku FROM products ORDER BY sku"))]
    if skus:
        last = bind.execute(
            sa.text("UPDATE change_counter SET value = value + :n WHERE id = 1 RETURNING value"),
            {"n": len(skus)},
        ).scalar_one()
        first = last - len(skus) + 1
        bind.execute(
            sa.text("UPDATE products SET change_seq = :seq WHERE sku = :sku"),
            [{"seq": first + i, "sku": sku} for i, sku in enumerate(skus)],
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("change_seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(batch_op.f("ix_products_change_seq"), ["change_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_change_seq"))
        batch_op.drop_column("change_seq")
        batch_op.drop_column("brand")
