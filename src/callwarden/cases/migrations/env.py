"""Alembic environment for the case database.

callwarden runs migrations itself (``callwarden serve`` and ``callwarden cases`` upgrade a new
database on first use) by passing an open connection in ``config.attributes``; operators may also
run ``alembic`` with ``-x url=...`` against this folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from callwarden.cases.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=postgresql+psycopg://... upgrade head")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()
