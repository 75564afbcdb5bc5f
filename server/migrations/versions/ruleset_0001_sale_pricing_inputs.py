"""sale pricing inputs: keep what a sale was priced with, so a simulation re-prices it alike

``sale_lines.brand`` and ``sale_lines.tags`` (the catalogue's, as the till priced the line)
and ``sales.member_context`` (tier, segments, activations and coupons the till used) and
``sales.coupon_codes`` (rule coupons presented) make a stored sale back into the same pricing
inputs as the pushed event (``loyalty.pricing.sale_inputs``). Sales recorded before this revision have none of them.

Revision ID: ruleset_0001
Revises: 0006
Create Date: 2026-12-04 19:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ruleset_0001"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_context", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("coupon_codes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_column("coupon_codes")
        batch_op.drop_column("member_context")
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.drop_column("tags")
        batch_op.drop_column("brand")
