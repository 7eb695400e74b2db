"""Every store test runs on SQLite (a temporary file) and on the real PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from ivr.store.database import Database, normalize_database_url
from ivr.store.migrations import upgrade
from ivr.store.writer import SurveyStore

POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
Row = TypeVar("Row", bound=SQLModel)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Backend:
    name: str
    url: str  # an empty database (SQLite file or PostgreSQL schema), not migrated
    down_url: str  # a database of the same kind that cannot be reached


def _postgres_schema_url(schema: str) -> str:
    url = normalize_database_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        unopenable = tmp_path / "a-directory-not-a-database"
        unopenable.mkdir()
        yield Backend("sqlite", f"sqlite:///{tmp_path / 'db' / 'ivr.db'}", f"sqlite:///{unopenable}")
        return
    schema = f"store_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_database_url(POSTGRES_URL))
    unreachable = ""
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        unreachable = str(error.orig)
    if unreachable:
        pytest.fail(
            f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable ({unreachable}); "
            "start it (scripts/setup.sh --services) or point IVR_TEST_POSTGRES_URL at one",
            pytrace=False,
        )
    down = normalize_database_url(POSTGRES_URL).set(host="127.0.0.1", port=1)
    down = down.update_query_dict({"connect_timeout": "1"})
    try:
        yield Backend("postgresql", _postgres_schema_url(schema), down.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(backend: Backend) -> Iterator[Database]:
    """A migrated, empty database."""
    db = Database(backend.url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


def fast_store(database: Database | str, spool_dir: Path, max_batch: int = 500) -> SurveyStore:
    """A store with short retry delays, so failure tests take milliseconds."""
    return SurveyStore(database, spool_dir, max_batch=max_batch, retry_initial_s=0.01, retry_max_s=0.05)


@pytest.fixture
async def store(database: Database, spool_dir: Path) -> AsyncIterator[SurveyStore]:
    survey_store = fast_store(database, spool_dir)
    await survey_store.start()
    yield survey_store
    await survey_store.close()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rows(database: Database, model: type[Row]) -> list[Row]:
    with Session(database.engine) as session:
        return list(session.scalars(select(model)))


def spooled(spool_dir: Path, pattern: str) -> list[Path]:
    return sorted(spool_dir.glob(pattern))


def lines_of(paths: list[Path]) -> list[str]:
    return [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
