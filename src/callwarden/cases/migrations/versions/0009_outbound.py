"""outbound: businesses, consent and refusal registers, the pre-dial check log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callwarden.compliance.models  # noqa: F401  (the outbound models' tables in the metadata)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbound_businesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "outbound_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("callee", sa.String(length=20), nullable=False),
        sa.Column("callee_key", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", _TS, nullable=True),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("withdrawn_at", _TS, nullable=True),
        sa.Column("evidence", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("imported_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["outbound_businesses.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outbound_consents_person", "outbound_consents", ["business_id", "callee_key"]
    )
    op.create_table(
        "outbound_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("callee", sa.String(length=20), nullable=False),
        sa.Column("callee_key", sa.BigInteger(), nullable=False),
        sa.Column("refused_at", _TS, nullable=False),
        sa.Column("line", sa.String(length=20), nullable=True),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.String(length=256), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["outbound_businesses.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outbound_refusals_person", "outbound_refusals", ["business_id", "callee_key"]
    )
    op.create_table(
        "outbound_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("checked_at", _TS, nullable=False),
        sa.Column("caller_line", sa.String(length=20), nullable=False),
        sa.Column("callee", sa.String(length=20), nullable=False),
        sa.Column("callee_key", sa.BigInteger(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbound_checks_business_at", "outbound_checks", ["business_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_outbound_checks_business_at", table_name="outbound_checks")
    op.drop_table("outbound_checks")
    op.drop_index("ix_outbound_refusals_person", table_name="outbound_refusals")
    op.drop_table("outbound_refusals")
    op.drop_index("ix_outbound_consents_person", table_name="outbound_consents")
    op.drop_table("outbound_consents")
    op.drop_table("outbound_businesses")
