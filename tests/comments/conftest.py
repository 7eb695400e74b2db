"""Fixtures of the comment pipeline tests: real Redis under a prefix of the test's own (arq's keys for that
prefix removed afterwards), a migrated database (SQLite, and PostgreSQL as in the store tests), settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.speech.recognition.packaged import packaged_whisper_base
from ivr.store.database import Database, normalize_database_url
from ivr.store.migrations import upgrade

from .support import REDIS_URL, REPO

POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the real PostgreSQL (as the store tests)."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    schema = f"comments_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_database_url(POSTGRES_URL))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable ({error.orig}); "
            "start it (scripts/setup.sh --services) or point IVR_TEST_POSTGRES_URL at one",
            pytrace=False,
        )
    url = normalize_database_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped dialogs' prompts, rendered once per session with the real espeak-ng."""
    directory = tmp_path_factory.mktemp("prompts")
    runtime = BotRuntime(
        Settings(data_dir=directory.parent, dialogs_dir=REPO / "dialogs", prompts_dir=directory)
    )
    runtime.dialogs.load()
    report = runtime.prompts.build(runtime.dialogs.prompts())
    assert not report.failed, str(report)
    return directory


@pytest.fixture(scope="session")
def whisper_base_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Whisper base (CTranslate2) from the dev extra's packages, joined once into the pytest cache."""
    cache = getattr(pytestconfig, "cache", None)  # absent with -p no:cacheprovider
    directory = cache.mkdir("whisper-base") if cache is not None else tmp_path_factory.mktemp("whisper-base")
    return packaged_whisper_base(Path(directory))
