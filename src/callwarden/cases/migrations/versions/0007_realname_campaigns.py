"""realname campaigns: subjects, the actions of each campaign day, complaints, region totals

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.realname.models  # noqa: F401  (the campaign tables in the metadata)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "realname_subjects",
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ivr_tag", sa.String(length=32), nullable=True),
        sa.Column("registered_at", _TS, nullable=True),
        sa.Column("registration_channel", sa.String(length=16), nullable=True),
        sa.Column("suspended_at", _TS, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("restored_at", _TS, nullable=True),
        sa.Column("grace_until", sa.Date(), nullable=True),
        sa.Column("terminated_at", _TS, nullable=True),
        sa.Column("refund_fen", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("campaign", "msisdn"),
    )
    op.create_index("ix_realname_subjects_state", "realname_subjects", ["campaign", "state"])
    op.create_index("ix_realname_subjects_case", "realname_subjects", ["case_id"])
    op.create_table(
        "realname_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign", "msisdn", "day", "action", name="uq_realname_actions_once"),
    )
    op.create_index("ix_realname_actions_day", "realname_actions", ["campaign", "day", "action"])
    op.create_table(
        "realname_complaints",
        sa.Column("complaint_id", sa.String(length=64), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.create_index("ix_realname_complaints_at", "realname_complaints", ["campaign", "at"])
    op.create_index(
        op.f("ix_realname_complaints_msisdn"), "realname_complaints", ["msisdn"], unique=False
    )
    op.create_table(
        "realname_totals",
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign", "region"),
    )


def downgrade() -> None:
    op.drop_table("realname_totals")
    op.drop_index(op.f("ix_realname_complaints_msisdn"), table_name="realname_complaints")
    op.drop_index("ix_realname_complaints_at", table_name="realname_complaints")
    op.drop_table("realname_complaints")
    op.drop_index("ix_realname_actions_day", table_name="realname_actions")
    op.drop_table("realname_actions")
    op.drop_index("ix_realname_subjects_case", table_name="realname_subjects")
    op.drop_index("ix_realname_subjects_state", table_name="realname_subjects")
    op.drop_table("realname_subjects")
