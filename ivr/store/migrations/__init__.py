"""Schema migrations (Alembic), driven in code so an installed package can migrate its own database.

A new migration: change `ivr.store.tables`, then
`alembic.command.revision(alembic_config(url), message="...", autogenerate=True)` against a database at head,
and review the file it writes into `ivr/store/migrations/versions/`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ivr.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # configparser treats '%' as interpolation; URLs may contain percent-escapes.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _as_database(database: str | Database) -> Database:
    return database if isinstance(database, Database) else Database(database)


def upgrade(database: str | Database, revision: str = "head") -> None:
    """Migrate the database (a URL or a `Database`) up to `revision`; safe to run again."""
    db = _as_database(database)
    try:
        with db.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if db is not database:
            db.dispose()


def current_revision(database: str | Database) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    db = _as_database(database)
    try:
        with db.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if db is not database:
            db.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head
