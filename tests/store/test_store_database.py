from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ivr.store.database import Database, DatabaseUrlError, normalize_database_url
from ivr.store.pseudonym import caller_pseudonym, normalize_number

from .conftest import Backend


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db:5432/ivr", "postgresql://u:p@db:5432/ivr", "postgresql+psycopg://u:p@db:5432/ivr"],
)
def test_postgres_urls_go_through_psycopg_3(url: str) -> None:
    normalized = normalize_database_url(url)
    assert normalized.render_as_string(hide_password=False) == "postgresql+psycopg://u:p@db:5432/ivr"


@pytest.mark.parametrize(
    ("url", "complaint"), [("mysql://u@db/ivr", "unsupported"), ("no url", "cannot parse")]
)
def test_other_urls_get_a_clear_error(url: str, complaint: str) -> None:
    with pytest.raises(DatabaseUrlError, match=complaint):
        Database(url)


def test_sqlite_gets_its_directory_wal_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new' / 'dir' / 'ivr.db'}")
    try:
        with database.engine.connect() as connection:
            pragmas = [
                connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            ]
        assert pragmas == ["wal", 5000, 1]
        assert (tmp_path / "new" / "dir" / "ivr.db").is_file()
    finally:
        database.dispose()


def insert_then_fail(database: Database) -> None:
    with database.session() as session:
        session.execute(text("INSERT INTO scratch VALUES (2)"))
        raise ZeroDivisionError


def test_sessions_commit_or_roll_back(backend: Backend) -> None:
    database = Database(backend.url)
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE scratch (n INTEGER)"))
            session.execute(text("INSERT INTO scratch VALUES (1)"))
        with pytest.raises(ZeroDivisionError):
            insert_then_fail(database)
        with database.session() as session:
            assert session.execute(text("SELECT n FROM scratch")).scalars().all() == [1]
    finally:
        database.dispose()


def test_one_caller_in_any_notation_gets_one_pseudonym() -> None:
    forms = ["070-123 45 67", "0701234567", "+46 70 123 45 67", "0046701234567"]
    assert {normalize_number(form) for form in forms} == {"+46701234567"}
    pseudonyms = {caller_pseudonym(form, "salt") for form in forms}
    assert len(pseudonyms) == 1
    [pseudonym] = pseudonyms
    assert pseudonym is not None
    assert len(pseudonym) == 64
    assert "701234567" not in pseudonym


def test_the_pseudonym_depends_on_the_salt_and_hidden_numbers_have_none() -> None:
    assert caller_pseudonym("0701234567", "a") != caller_pseudonym("0701234567", "b")
    assert caller_pseudonym("0701234567", "a") != caller_pseudonym("0701234568", "a")
    for hidden in (None, "", "anonymous", "Unknown", "---"):
        assert caller_pseudonym(hidden) is None
