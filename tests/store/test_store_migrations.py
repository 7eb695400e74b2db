from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from ivr.store.database import Database
from ivr.store.migrations import alembic_config, current_revision, head_revision, upgrade
from ivr.store.tables import store_metadata

from .conftest import Backend

VERSIONS = Path(__file__).resolve().parents[2] / "ivr" / "store" / "migrations" / "versions"

STORE_TABLES = {
    "calls", "survey_responses", "survey_answers", "comments", "callback_requests", "label_corrections",
    "inbound_calls",
}  # fmt: skip


def _schema_diff(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, store_metadata))


def test_migrated_schema_equals_the_table_models(database: Database) -> None:
    assert _schema_diff(database) == []
    assert set(inspect(database.engine).get_table_names()) >= STORE_TABLES


def test_the_comparison_sees_a_missing_index(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_survey_responses_agent"))
    diff = _schema_diff(database)
    assert [entry[0] for entry in diff] == ["add_index"]
    assert diff[0][1].name == "ix_survey_responses_agent"


def test_revision_before_and_after_upgrade_and_upgrade_twice(backend: Backend) -> None:
    database = Database(backend.url)
    try:
        assert current_revision(database) is None
        upgrade(database)
        upgrade(backend.url)  # again, and by URL: nothing to do
        assert current_revision(backend.url) == head_revision()
        assert head_revision() == max(path.stem[:4] for path in VERSIONS.glob("[0-9]*.py"))
    finally:
        database.dispose()


def test_downgrade_to_base_removes_the_tables(database: Database) -> None:
    with database.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not STORE_TABLES & set(inspect(database.engine).get_table_names())
    assert current_revision(database) is None
