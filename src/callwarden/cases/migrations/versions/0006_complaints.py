"""complaints: nuisance reports (12321 举报) about numbers, with region, carrier, day and hour

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.reputation.models  # noqa: F401  (the complaint model's table in the metadata)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reputation_complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("region_en", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("carrier_en", sa.String(length=64), nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("filed_by", sa.String(length=96), nullable=False),
        sa.Column("external_id", sa.String(length=96), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("mark_event_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["mark_event_id"], ["reputation_events.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id"),
    )
    for column in ("msisdn", "day", "reporter", "case_id"):
        op.create_index(
            op.f(f"ix_reputation_complaints_{column}"),
            "reputation_complaints",
            [column],
            unique=False,
        )


def downgrade() -> None:
    for column in ("msisdn", "day", "reporter", "case_id"):
        op.drop_index(
            op.f(f"ix_reputation_complaints_{column}"), table_name="reputation_complaints"
        )
    op.drop_table("reputation_complaints")
