"""The screening tables: created by their migration, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from callwarden.cases.db import open_database
from callwarden.cases.models import Base


def test_migration_creates_the_screening_tables_as_modelled() -> None:
    db = open_database("sqlite://")
    names = {"screen_hotlines", "screen_policies", "screen_decisions", "screen_wrong_codes"}
    assert names <= set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
