"""server_epochs (the database's identity and epoch) and epoch_repushes (what tills re-pushed)

The first epoch is made here with a new database identity; a restore or fail-over starts the
next one (``tillclub server new-epoch``), and tills that see it push again what they hold.

Revision ID: restore18_0001
Revises: sessions18_0001
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "restore18_0001"
down_revision: str | Sequence[str] | None = "sessions18_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    epochs = op.create_table(
        "server_epochs",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.String(length=40), nullable=False),
        sa.Column("database_id", sa.String(length=40), nullable=False),
        sa.Column("started_at", server.db.TZDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("detected_by", sa.String(length=40), nullable=True),
        sa.Column("counter_at_start", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_server_epochs")),
        sa.UniqueConstraint("epoch", name=op.f("uq_server_epochs_epoch")),
    )
    op.create_table(
        "epoch_repushes",
        sa.Column("epoch", sa.String(length=40), nullable=False),
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("first_at", server.db.TZDateTime(), nullable=False),
        sa.Column("last_at", server.db.TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("epoch", "terminal_id", name=op.f("pk_epoch_repushes")),
    )
    counter = op.get_bind().execute(sa.text("SELECT value FROM change_counter WHERE id = 1"))
    op.bulk_insert(
        epochs,
        [
            {
                "seq": 1,
                "epoch": uuid.uuid4().hex,
                "database_id": uuid.uuid4().hex,
                "started_at": dt.datetime.now(dt.UTC),
                "source": "created",
                "reason": "epochs introduced (migration restore18_0001)",
                "detected_by": None,
                "counter_at_start": int(counter.scalar() or 0),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("epoch_repushes")
    op.drop_table("server_epochs")
