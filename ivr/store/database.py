"""Engine and sessions for SQLite (the default, a file) and PostgreSQL (production, through psycopg 3)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
_POSTGRES_ALIASES = ("postgres", "postgresql", "postgresql+psycopg")


class DatabaseUrlError(ValueError):
    """The database URL is malformed or names a database this bot does not support."""


def normalize_database_url(url: str) -> URL:
    """Parse `url`; `postgres://` and `postgresql://` become `postgresql+psycopg://` (psycopg 3)."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError as error:
        raise DatabaseUrlError(
            f"cannot parse database URL {url!r}: use sqlite:///path/to/ivr.db or postgresql://user@host/db"
        ) from error
    if parsed.drivername in _POSTGRES_ALIASES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise DatabaseUrlError(
        f"unsupported database URL scheme {parsed.drivername!r} in {parsed.render_as_string()!r}: "
        "use sqlite:///path/to/ivr.db or postgresql://user@host/db (psycopg 3)"
    )


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _create_sqlite_engine(url: URL, echo: bool) -> Engine:
    if _is_memory_sqlite(url):
        # One shared connection, so every thread (the writer's too) sees the same in-memory database.
        return create_engine(url, echo=echo, poolclass=StaticPool, connect_args={"check_same_thread": False})
    assert url.database is not None
    _create_parent_dir(Path(url.database))
    engine = create_engine(
        url, echo=echo, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _create_parent_dir(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # Not fatal here: the writer keeps retrying and spools what it cannot write.
        log.error("cannot create the directory for the SQLite database %s: %s", path, error)


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


class Database:
    """One database: its engine and sessions. `url` may be any form `normalize_database_url` accepts.

    Statement parameters are kept out of error messages and logs: they hold callers' answers.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_database_url(url)
        if self.url.drivername.startswith("sqlite"):
            self.engine = _create_sqlite_engine(self.url, echo)
        else:
            self.engine = create_engine(self.url, echo=echo, hide_parameters=True, pool_pre_ping=True)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends without error and rolls back otherwise."""
        with Session(self.engine) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
