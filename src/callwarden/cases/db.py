"""Opening the case database: SQLite file by default, PostgreSQL for operators; migrated on open.

>>> db = open_database("sqlite://")  # in memory, migrated to the latest schema
>>> db.dialect
'sqlite'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from callwarden.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["DEFAULT_URL", "Database", "database_url", "open_database"]

DEFAULT_URL = "sqlite:///callwarden.db"
_MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(value: str | None) -> str:
    """Accept a URL, or a plain path to a SQLite file (``cases.db``)."""
    if not value:
        return DEFAULT_URL
    if "://" in value:
        if value.startswith("postgresql://"):  # psycopg 3 is the driver callwarden ships with
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    return f"sqlite:///{value}"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415  (alembic loads only when migrating)

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def open_database(url: str | None = None, *, migrate: bool = True, **engine_args: Any) -> Database:
    """Connect, and bring the schema to the latest migration (creating it on first use)."""
    url = database_url(url)
    try:
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        elif url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False}, **engine_args)
        else:
            engine = create_engine(url, pool_pre_ping=True, **engine_args)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"--db {url}: cannot use this database URL ({exc})") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        from alembic import command  # noqa: PLC0415

        try:
            with engine.begin() as conn:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise ConfigError(
                f"--db {engine.url!r}: cannot open the database ({exc.orig})"
            ) from None
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def table_names(db: Database) -> list[str]:
    return sorted(inspect(db.engine).get_table_names())
