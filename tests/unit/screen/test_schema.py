"""The screening tables: created by their migration, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callwarden.cases.db import open_database, table_names
from callwarden.cases.models import Base


def test_migration_creates_the_screening_tables_as_modelled() -> None:
    db = open_database("sqlite://")
    assert {"screen_hotlines", "screen_policies", "screen_decisions"} <= set(table_names(db))
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
