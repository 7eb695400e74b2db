"""The real services the tests talk to (Redis, PostgreSQL): where they are, and a clean piece of each per
test.

A top-level module of tests/, imported as `live_services` by the test packages.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ivr.store.database import normalize_database_url

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

R = TypeVar("R", bound=Redis)


@asynccontextmanager
async def redis_for_test(prefix: str, client_class: type[R] = Redis) -> AsyncIterator[R]:  # type: ignore[assignment]
    """A client of the test Redis; fails the test clearly when Redis is down; removes the keys that hold
    `prefix:` afterwards (a job library may put its own name in front)."""
    client = client_class.from_url(REDIS_URL)
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


@contextmanager
def postgres_schema(name: str) -> Iterator[str]:
    """A URL of the test PostgreSQL whose connections use a fresh schema `name_<random>`, dropped afterwards;
    fails the test clearly when PostgreSQL is down."""
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
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
