"""`ivr db ...`: the database schema."""

from __future__ import annotations

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply Alembic migrations to IVR_DATABASE_URL (the bot also does this when it starts)."""
    from ivr.store.migrations import current_revision, upgrade

    upgrade(settings.effective_database_url)
    click.echo(f"database at revision {current_revision(settings.effective_database_url)}")
