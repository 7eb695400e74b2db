"""Fixtures of the comment pipeline tests: real Redis under a prefix of the test's own (arq's keys for that
prefix removed afterwards), a migrated database (SQLite, and PostgreSQL as in the store tests), settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from redis.exceptions import ConnectionError as RedisConnectionError

from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.migrations import upgrade
from tests.store.conftest import Backend, backend  # noqa: F401  (the SQLite / PostgreSQL parameter)

from .support import REDIS_URL, REPO


@pytest.fixture
def prefix() -> str:
    return f"test:comments:{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[ArqRedis]:
    client = ArqRedis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as error:
        await client.aclose()
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({error}); start it (scripts/setup.sh --services) "
            "or point IVR_TEST_REDIS_URL at one",
            pytrace=False,
        )
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"*{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ivr.db'}"


@pytest.fixture
def database_url(backend: Backend) -> str:  # noqa: F811
    return backend.url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, prefix: str) -> Settings:
    """Fast retries, no speech models (models_dir is empty), the embedded classifier."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        dialogs_dir=REPO / "dialogs",
        nlu_dir=REPO / "nlu",
        models_dir=tmp_path / "no-models",
        nlu_engine="embedded",
        comment_retry_initial_s=0.3,
        comment_retry_max_s=1.0,
        comment_max_tries=4,
        comment_job_timeout_s=30,
        comment_sweep_after_s=300,
        comment_sweep_interval_s=3600,
    )
