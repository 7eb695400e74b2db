"""`ivr retention run`: delete recordings and transcripts older than IVR_RETENTION_DAYS."""

from __future__ import annotations

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group()
def retention() -> None:
    """Privacy: how long recordings and transcripts are kept."""


@retention.command("run")
@click.option(
    "--days", type=click.IntRange(min=1), default=None, help="Keep this many days (IVR_RETENTION_DAYS)"
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted")
@click.pass_obj
def retention_run(settings: Settings, days: int | None, dry_run: bool) -> None:
    """Delete comment recordings, leftover answer takes, comment transcripts and the words heard of spoken
    answers older than the limit; answers, scores and labels stay."""
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.ops.retention import run_retention

    try:
        report = run_retention(settings, days=days, dry_run=dry_run)
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"cannot reach the database ({str(getattr(error, 'orig', error)).strip().splitlines()[0]}): "
            "check IVR_DATABASE_URL, or run `ivr doctor`"
        ) from None
    click.echo(str(report))
