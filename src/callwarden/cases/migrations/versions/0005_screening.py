"""hotline screening: hotlines, policy versions, the decision log; mark change notification

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

On PostgreSQL a statement trigger on ``reputation_events`` (the marks' change log) and on
``screen_policies`` / ``screen_hotlines`` sends ``NOTIFY callwarden_screen`` when a transaction
that changed them commits; the decision service LISTENs and reads the log from the last event it
saw. SQLite has no notification: the service polls the log's newest id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The screening models share the case database's metadata (as the reputation models do).
import callwarden.screen.models  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NOTIFIED = ("reputation_events", "screen_policies", "screen_hotlines")


def upgrade() -> None:
    op.create_table(
        "screen_hotlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "screen_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["hotline_id"], ["screen_hotlines.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotline_id", "version", name="uq_screen_policies_version"),
    )
    op.create_table(
        "screen_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("caller_flag", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("country", sa.String(length=4), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_screen_decisions_hotline_at", "screen_decisions", ["hotline_id", "at"], unique=False
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION callwarden_screen_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify('callwarden_screen', TG_TABLE_NAME); RETURN NULL; END $$"
        )
        for table in _NOTIFIED:
            op.execute(
                f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION callwarden_screen_notify()"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in _NOTIFIED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
        op.execute("DROP FUNCTION IF EXISTS callwarden_screen_notify()")
    op.drop_index("ix_screen_decisions_hotline_at", table_name="screen_decisions")
    op.drop_table("screen_decisions")
    op.drop_table("screen_policies")
    op.drop_table("screen_hotlines")
