"""Opening the case database: SQLite file by default, PostgreSQL for operators; migrated on open.

>>> db = open_database("sqlite://")  # in memory, migrated to the latest schema
>>> db.dialect
'sqlite'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from callwarden.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["CLOCK", "DEFAULT_URL", "Database", "database_url", "open_database"]

DEFAULT_URL = "sqlite:///callwarden.db"
_MIGRATIONS = Path(__file__).with_name("migrations")
_WRITES = "callwarden_writes"  # execution option: this connection's transactions write
#: ``Session.info`` key: the clock of the service that opened the session (a callable giving
#: an aware datetime); what runs inside the session's flush (the roll-up's watch) reads it
CLOCK = "callwarden_clock"


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
    """An engine and its sessions: ``sessions`` for work that writes, ``reads`` for pages.

    On SQLite a write session holds the file's write lock from its first statement; a read
    session shares the file with other readers. On PostgreSQL the two are the same.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    reads: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    # SQLAlchemy emits BEGIN itself (below), not the driver, which would begin lazily
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    """Write sessions take SQLite's write lock at once (``BEGIN IMMEDIATE``); reads do not.

    A deferred transaction that reads, then writes, can neither wait for nor see a parallel
    writer: SQLite answers "database is locked" at once rather than waiting out busy_timeout,
    and a read-check-write (a one-time code's tries, a rate limit) would race. Taking the lock
    first makes writes on the file one at a time, which is what an embedded database is for;
    operators with parallel load use PostgreSQL. Read-only sessions (``Database.reads``)
    begin deferred, so a page being read never waits for, or holds up, a writer's lock.
    """
    immediate = conn.get_execution_options().get(_WRITES, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
        event.listen(engine, "begin", _sqlite_begin)
    if migrate:
        from alembic import command  # noqa: PLC0415
        from alembic.util import CommandError  # noqa: PLC0415

        try:
            with engine.begin() as conn:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DatabaseError as exc:  # "file is not a database" is not an OperationalError
            engine.dispose()
            raise ConfigError(_cannot_open(engine, exc)) from None
        except CommandError as exc:  # a schema revision this callwarden does not know
            engine.dispose()
            raise ConfigError(
                f"--db {_where(engine)}: not a case database this version of callwarden knows "
                f"({exc}); was it made by a newer one?"
            ) from None
    writes = engine.execution_options(**{_WRITES: True})
    return Database(
        engine,
        sessionmaker(writes, expire_on_commit=False),
        sessionmaker(engine, expire_on_commit=False),
    )


def _where(engine: Engine) -> str:
    """The file (SQLite), or the URL without its password."""
    if engine.dialect.name == "sqlite":
        return engine.url.database or ":memory:"
    return engine.url.render_as_string(hide_password=True)


def _cannot_open(engine: Engine, exc: DatabaseError) -> str:
    """One line saying why the database cannot be used, naming the file or the server.

    >>> engine = create_engine("sqlite:///notes.txt")
    >>> _cannot_open(engine, DatabaseError("", None, Exception("file is not a database")))[:40]
    '--db notes.txt: not a SQLite database; g'
    """
    where = _where(engine)
    reason = " ".join(str(exc.orig or exc).split())  # drivers' messages run over lines
    if engine.dialect.name != "sqlite":
        return f"--db {where}: cannot open the database ({reason})"
    if Path(where).is_dir():
        return f"--db {where}: is a folder; give a database file in it, e.g. {where}/cases.db"
    if "not a database" in reason:
        return (
            f"--db {where}: not a SQLite database; give a callwarden case database "
            "(a SQLite file, created on first use) or a postgresql:// URL"
        )
    if not Path(where).parent.is_dir():
        return f"--db {where}: cannot open the database: there is no folder {Path(where).parent}"
    return f"--db {where}: cannot open the SQLite database ({reason})"
