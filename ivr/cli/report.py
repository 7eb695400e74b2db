"""`ivr report`: the report on what citizens say, as HTML, CSV and PNG files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from ivr.cli.root import main
from ivr.settings import Settings


@main.command("report")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the report goes [default: DATA_DIR/report]")  # fmt: skip
@click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the period (YYYY-MM-DD, Swedish time)")  # fmt: skip
@click.option("--to", "last_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the period, included")  # fmt: skip
@click.option("--tenant", default=None, help="One municipality only")
@click.option("--show-agents", is_flag=True, help="Agents' own ids instead of pseudonyms")
@click.pass_obj
def report(
    settings: Settings,
    out_dir: Path | None,
    first_day: datetime | None,
    last_day: datetime | None,
    tenant: str | None,
    show_agents: bool,
) -> None:
    """Writes the report for a period: per municipality, queue and agent; comments; trends and alerts."""
    from ivr.report.build import build_report
    from ivr.report.data import PeriodError

    try:
        files = build_report(
            settings,
            out_dir or settings.data_dir / "report",
            first_day=_day(first_day),
            last_day=_day(last_day),
            tenant=tenant,
            show_agents=show_agents,
        )
    except PeriodError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"Rapport: {files.html}")
    click.echo(f"{len(files.csv_files)} CSV-filer och {len(files.png_files)} diagram i {files.html.parent}")


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None
