"""Fixtures of the comment pipeline tests: real Redis under a prefix of the test's own (arq's keys for that
prefix removed afterwards), a migrated database (SQLite, and PostgreSQL as in the store tests), settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from live_services import REDIS_URL, postgres_schema, redis_for_test

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.speech.recognition.packaged import packaged_whisper_base
from ivr.store.database import Database
from ivr.store.migrations import upgrade

from .support import REPO


@pytest.fixture
def prefix() -> str:
    return f"test:comments:{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[ArqRedis]:
    async with redis_for_test(prefix, ArqRedis) as client:
        yield client


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ivr.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the real PostgreSQL (as the store tests)."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    with postgres_schema("comments_test") as url:
        yield url


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
