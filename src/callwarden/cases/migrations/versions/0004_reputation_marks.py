"""reputation marks: a number's marks by category, every change to them, reporters

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The reputation models share the case database's metadata; importing them here puts their
# tables in it wherever the schema is migrated (env.py loads the case models only).
import callwarden.reputation.models  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reputation_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.Float(), nullable=False),
        sa.Column("evidence_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("msisdn", "category", name="uq_reputation_marks_number"),
    )
    op.create_index(
        op.f("ix_reputation_marks_msisdn"), "reputation_marks", ["msisdn"], unique=False
    )
    op.create_table(
        "reputation_reporters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("refuted", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_reputation_reporters_link"), "reputation_reporters", ["link"], unique=False
    )
    op.create_table(
        "reputation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mark_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("withdraws", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["mark_id"], ["reputation_marks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("mark_id", "alert_id", "case_id"):
        op.create_index(
            op.f(f"ix_reputation_events_{column}"), "reputation_events", [column], unique=False
        )


def downgrade() -> None:
    for column in ("mark_id", "alert_id", "case_id"):
        op.drop_index(op.f(f"ix_reputation_events_{column}"), table_name="reputation_events")
    op.drop_table("reputation_events")
    op.drop_index(op.f("ix_reputation_reporters_link"), table_name="reputation_reporters")
    op.drop_table("reputation_reporters")
    op.drop_index(op.f("ix_reputation_marks_msisdn"), table_name="reputation_marks")
    op.drop_table("reputation_marks")
