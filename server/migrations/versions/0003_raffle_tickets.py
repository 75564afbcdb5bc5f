"""raffle tickets: numbers given out per sale, position blocks, the server's reserve

Blocks become runs of positions of the campaign's keyed permutation (``first_position``,
``size``); the series/element columns and the store become optional (a block with neither
store nor terminal is the server's reserve for owed tickets). Campaigns without a
``permutation_key`` in their rules get one here, so every campaign can number tickets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:20:00
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("raffle_number_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_position", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.alter_column("store_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.alter_column("series", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("first_element", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("last_element", existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(
            "uq_raffle_number_blocks_position", ["raffle_id", "first_position"]
        )

    op.create_table(
        "raffle_tickets",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("raffle_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("by_server", sa.Boolean(), nullable=False),
        sa.Column("issued_at", server.db.TZDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('issued', 'owed', 'void')", name=op.f("ck_raffle_tickets_status")
        ),
        sa.ForeignKeyConstraint(
            ["raffle_id"],
            ["raffle_campaigns.id"],
            name=op.f("fk_raffle_tickets_raffle_id_raffle_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.sale_id"], name=op.f("fk_raffle_tickets_sale_id_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raffle_tickets")),
        sa.UniqueConstraint("raffle_id", "number", name="uq_raffle_tickets_number"),
    )
    with op.batch_alter_table("raffle_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_raffle_tickets_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_raffle_tickets_raffle_id"), ["raffle_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_raffle_tickets_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "raffle_voids",
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("refund_id", sa.String(length=128), nullable=False),
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_raffle_voids")),
    )
    with op.batch_alter_table("raffle_voids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raffle_voids_sale_id"), ["sale_id"], unique=False)

    # Every campaign needs its permutation key (random, drawn once) to turn positions into
    # numbers; campaigns made before this revision get one now.
    bind = op.get_bind()
    campaigns = sa.table(
        "raffle_campaigns", sa.column("id", sa.String), sa.column("rules", sa.JSON)
    )
    for raffle_id, rules in bind.execute(sa.select(campaigns.c.id, campaigns.c.rules)).all():
        rules = json.loads(rules) if isinstance(rules, str) else dict(rules or {})
        if "permutation_key" not in rules:
            rules["permutation_key"] = secrets.token_hex(16)
            bind.execute(campaigns.update().where(campaigns.c.id == raffle_id).values(rules=rules))


def downgrade() -> None:
    with op.batch_alter_table("raffle_voids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raffle_voids_sale_id"))
    op.drop_table("raffle_voids")
    with op.batch_alter_table("raffle_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raffle_tickets_sale_id"))
        batch_op.drop_index(batch_op.f("ix_raffle_tickets_raffle_id"))
        batch_op.drop_index(batch_op.f("ix_raffle_tickets_member_id"))
    op.drop_table("raffle_tickets")
    # Position blocks have no series/element form: they go with the revision.
    op.execute("DELETE FROM raffle_number_blocks WHERE first_position IS NOT NULL")
    with op.batch_alter_table("raffle_number_blocks", schema=None) as batch_op:
        batch_op.drop_constraint("uq_raffle_number_blocks_position", type_="unique")
        batch_op.alter_column("last_element", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("first_element", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("series", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("store_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("size")
        batch_op.drop_column("first_position")
