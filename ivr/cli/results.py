"""`ivr results ...`: survey results."""

from __future__ import annotations

from typing import TextIO

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.group()
def results() -> None:
    """Survey results."""


@results.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--tenant", default=None)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
@click.pass_obj
def results_export(settings: Settings, fmt: str, tenant: str | None, out: TextIO) -> None:
    """One row per survey response with its answers and comment."""
    from ivr.store.results import ResultsRepository

    repo = ResultsRepository(settings.effective_database_url)
    count = repo.export_jsonl(out, tenant=tenant) if fmt == "jsonl" else repo.export_csv(out, tenant=tenant)
    click.echo(f"{count} responses exported", err=True)
