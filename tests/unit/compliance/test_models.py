"""The outbound tables: created by their migration, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import callwarden.compliance.models  # noqa: F401  (the outbound models in the metadata)
from callwarden.cases.db import open_database
from callwarden.cases.models import Base


def test_migration_creates_the_outbound_tables_as_modelled() -> None:
    db = open_database("sqlite://")
    names = {"outbound_businesses", "outbound_consents", "outbound_refusals", "outbound_checks"}
    assert names <= set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        diff = [
            d
            for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)
            if "outbound" in repr(d)
        ]
    assert diff == []
