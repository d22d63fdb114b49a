"""interceptions: numbers the operator does not serve, blocked at the gateway and reported

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("network", sa.String(length=24), nullable=False),
        sa.Column("report_to", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_interceptions_msisdn"), "interceptions", ["msisdn"], unique=False)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("interception_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_cases_interception_id", "interceptions", ["interception_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_interception_id", type_="foreignkey")
        batch.drop_column("interception_id")
    op.drop_index(op.f("ix_interceptions_msisdn"), table_name="interceptions")
    op.drop_table("interceptions")
