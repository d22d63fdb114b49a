"""the dashboard's daily roll-up, staff sessions kept by the server, breaches by time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.rollup.models
import callwarden.staff.models  # noqa: F401  (the roll-up's and the sessions' tables in the metadata)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "daily_figures",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("counted_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("zone", "day"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index(
        op.f("ix_staff_sessions_username"), "staff_sessions", ["username"], unique=False
    )
    op.create_index("ix_case_events_action_at", "case_events", ["action", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_events_action_at", table_name="case_events")
    op.drop_index(op.f("ix_staff_sessions_username"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("daily_figures")
