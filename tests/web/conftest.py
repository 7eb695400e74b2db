"""The operator page over the report tests' known data, with users of two municipalities and an admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from report.conftest import database, database_url  # noqa: F401  (fixtures)
from report.scenario import fill_march
from sqlmodel import Session, select
from starlette.testclient import TestClient

from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.tables import Comment
from ivr.web.app import create_app
from ivr.web.users import UserStore

PASSWORD = "ett långt lösenord"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:  # noqa: F811
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        recordings_dir=tmp_path / "recordings",
        nlu_dir=tmp_path / "nlu",
        web_secret_key="test-secret",
    )


@pytest.fixture
def filled(settings: Settings, database: Database) -> Database:  # noqa: F811
    """The March data, with each comment's recording on disk (its bytes name the comment's municipality)."""
    fill_march(database)
    with Session(database.engine) as session:
        for comment in session.scalars(select(Comment)):
            path = settings.effective_recordings_dir / comment.recording_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"RIFF" + comment.recording_path.split("/")[0].encode())
    users = UserStore(settings.effective_web_users_file)
    users.add("anna", PASSWORD, "alfa")
    users.add("bert", PASSWORD, "beta")
    users.add("admin", PASSWORD, None)
    return database


@pytest.fixture
def client(settings: Settings, filled: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, filled), base_url="https://testserver") as test_client:
        yield test_client


def csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def log_in(client: TestClient, name: str) -> str:
    """Logs in; returns the Set-Cookie header of the login."""
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["set-cookie"])
