"""Opening the case database: migrations equal the models; bad URLs get one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callwarden.cases.db import database_url, open_database
from callwarden.cases.models import Base
from callwarden.errors import ConfigError


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "cases.db"))
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    open_database(str(tmp_path / "cases.db"))  # a second open migrates nothing and fails nothing


def test_urls() -> None:
    assert database_url(None) == "sqlite:///callwarden.db"
    assert database_url("x/cases.db") == "sqlite:///x/cases.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError, match="--db"):
        open_database("nosuchdialect://x")
    with pytest.raises(ConfigError, match="cannot open"):
        open_database("sqlite:////nonexistent-dir/x/cases.db")
