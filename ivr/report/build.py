"""One call that makes the report from the settings' database: `ivr report` and the demo use it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ivr.report.data import load_figures, local_period
from ivr.report.render import ReportFiles, write_report
from ivr.settings import Settings
from ivr.store.database import Database


def build_report(
    settings: Settings,
    out_dir: Path,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    tenant: str | None = None,
    show_agents: bool = False,
) -> ReportFiles:
    """Agents are pseudonymised with the caller salt as key, unless `show_agents`."""
    database = Database(settings.effective_database_url)
    try:
        figures = load_figures(
            database,
            local_period(first_day, last_day),
            tenant=tenant,
            pseudonym_key=None if show_agents else settings.caller_salt,
        )
    finally:
        database.dispose()
    return write_report(figures, out_dir)
