"""alerts by campaign group: a group's lines found by an index, not by reading every reason

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from callwarden.cases.groups import stored_group

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: alerts read and written back at a time while the column is filled
_BATCH = 1000


def upgrade() -> None:
    op.add_column("alerts", sa.Column("campaign_group", sa.String(length=48), nullable=True))
    op.create_index(op.f("ix_alerts_campaign_group"), "alerts", ["campaign_group"], unique=False)
    # the alerts kept so far: the group their reasons name, as intake now stores it
    alerts = sa.table(
        "alerts",
        sa.column("alert_id", sa.String()),
        sa.column("reasons", sa.JSON()),
        sa.column("campaign_group", sa.String()),
    )
    conn = op.get_bind()
    named = conn.execute(
        sa.select(alerts.c.alert_id, alerts.c.reasons).where(
            sa.cast(alerts.c.reasons, sa.String).like("%campaign-%")
        )
    ).all()
    found = [(aid, stored_group(_records(reasons))) for aid, reasons in named]
    found = [(aid, gid) for aid, gid in found if gid is not None]
    for at in range(0, len(found), _BATCH):
        conn.execute(
            alerts.update()
            .where(alerts.c.alert_id == sa.bindparam("aid"))
            .values(campaign_group=sa.bindparam("gid")),
            [{"aid": aid, "gid": gid} for aid, gid in found[at : at + _BATCH]],
        )


def _records(reasons: object) -> list[dict[str, object]] | None:
    """The reasons as stored (a JSON list of records; text where a driver gives it so)."""
    if isinstance(reasons, str):
        try:
            reasons = json.loads(reasons)
        except ValueError:
            return None
    if not isinstance(reasons, list):
        return None
    return [r for r in reasons if isinstance(r, dict)]


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_campaign_group"), table_name="alerts")
    op.drop_column("alerts", "campaign_group")
