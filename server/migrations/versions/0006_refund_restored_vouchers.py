"""refund restored vouchers: a voucher use that arrives after the refund giving it back

``refunds.restored_vouchers`` keeps the voucher ids a full refund gave back, so a use pushed
after its refund (re-sent after a rejection) is restored on arrival, as it would have been
had it come first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restored_vouchers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("restored_vouchers")
