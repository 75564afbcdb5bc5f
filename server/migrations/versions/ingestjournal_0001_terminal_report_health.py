"""terminal report health: how old a till's oldest unsent event is, and its last sync error

Agents send ``X-Tillclub-Oldest-Event-Age`` and ``X-Tillclub-Last-Error`` with every sync
request; ``terminal_reports`` keeps them beside the version and queue depth, for the stores
page.

Revision ID: ingestjournal_0001
Revises: ruleset_0001
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingestjournal_0001"
down_revision: str | Sequence[str] | None = "ruleset_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("terminal_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oldest_event_age_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminal_reports", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("oldest_event_age_s")
