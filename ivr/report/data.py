"""What the report reads from the store: the period's responses, the alerts' history, callback records."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from ivr.report.figures import LOCAL_TIME, Period, ReportFigures, alert_windows, compute_figures
from ivr.store.database import Database
from ivr.store.results import ResultsRepository
from ivr.store.tables import CallbackRecord, SurveyResponse


class PeriodError(ValueError):
    """The period asked for is not a valid one."""


def local_period(first_day: date | None, last_day: date | None) -> Period:
    """Whole local (Europe/Stockholm) days, both ends included."""
    if first_day and last_day and last_day < first_day:
        raise PeriodError(f"--to {last_day} is before --from {first_day}: give the first day, then the last")
    since = datetime.combine(first_day, time(), LOCAL_TIME) if first_day else None
    until = datetime.combine(last_day + timedelta(days=1), time(), LOCAL_TIME) if last_day else None
    return Period(since, until)


def load_figures(
    database: Database, period: Period, tenant: str | None = None, pseudonym_key: str | None = None
) -> ReportFigures:
    """The figures of `period` for one municipality (or all when `tenant` is None)."""
    repo = ResultsRepository(database)
    records = repo.responses(tenant=tenant, since=period.since, until=period.until)
    history_start, _, end = alert_windows(period)
    history = repo.responses(tenant=tenant, since=history_start, until=end)
    return compute_figures(
        records,
        load_callbacks(database, period, tenant),
        period,
        tenant=tenant,
        pseudonym_key=pseudonym_key,
        history=history,
    )


def load_callbacks(database: Database, period: Period, tenant: str | None) -> list[CallbackRecord]:
    query = select(CallbackRecord)
    if tenant is not None:
        query = query.where(col(CallbackRecord.tenant) == tenant)
    if period.since is not None:
        query = query.where(col(CallbackRecord.requested_at) >= period.since)
    if period.until is not None:
        query = query.where(col(CallbackRecord.requested_at) < period.until)
    with Session(database.engine) as session:
        return list(session.scalars(query))


def tenants_in_store(database: Database) -> list[str]:
    with Session(database.engine) as session:
        return sorted(session.scalars(select(col(SurveyResponse.tenant)).distinct()))
