"""Alembic environment, driven from `ivr.store.migrate` (no alembic.ini needed).

The caller puts an open connection in `config.attributes["connection"]`; without one, the URL in the
`sqlalchemy.url` option is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ivr.store.database import Database
from ivr.store.tables import store_metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=store_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection in config.attributes or set sqlalchemy.url")
    database = Database(url)
    try:
        with database.engine.connect() as new_connection:
            _run(new_connection)
    finally:
        database.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them against a database")
run_migrations_online()
