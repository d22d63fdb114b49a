"""appeals: what the owner of a marked number disputes in an appeal case, with evidence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.reputation.models  # noqa: F401  (the appeal model's table in the metadata)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reputation_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("label", sa.Boolean(), nullable=False),
        sa.Column("business_name", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index(
        op.f("ix_reputation_appeals_msisdn"), "reputation_appeals", ["msisdn"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reputation_appeals_msisdn"), table_name="reputation_appeals")
    op.drop_table("reputation_appeals")
