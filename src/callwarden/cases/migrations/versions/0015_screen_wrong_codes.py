"""hotline screening: wrong business codes kept in the database, shared by every worker

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.screen.models  # noqa: F401  (the screening tables in the metadata)

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screen_wrong_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_screen_wrong_codes_caller", "screen_wrong_codes", ["hotline_id", "caller", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_screen_wrong_codes_caller", table_name="screen_wrong_codes")
    op.drop_table("screen_wrong_codes")
