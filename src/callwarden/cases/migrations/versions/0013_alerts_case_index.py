"""alerts by case: a case's page reads its alerts without scanning them all

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_alerts_case_id"), "alerts", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_case_id"), table_name="alerts")
