"""What the report reads from the store: the period's responses, the alerts' history, callback records and
inbound calls."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlmodel import Session, col

from ivr.report.figures import LOCAL_TIME, Period, ReportFigures, alert_windows, compute_figures
from ivr.store.database import Database
from ivr.store.records import ResponseRecord
from ivr.store.results import ResultsRepository
from ivr.store.tables import CallbackRecord, Comment, InboundCall, LabelCorrection, SurveyResponse

T = TypeVar("T")


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
    history_start, _, _ = alert_windows(period)
    # One read covers the period and the alerts' weeks (they end where the period ends).
    since = None if period.since is None else min(period.since, history_start)
    loaded = ResultsRepository(database).responses(tenant=tenant, since=since, until=period.until)
    history = with_corrections(loaded, load_corrections(database, tenant))
    records = [record for record in history if period.contains(record.response.started_at)]
    return compute_figures(
        records,
        load_callbacks(database, period, tenant),
        period,
        tenant=tenant,
        pseudonym_key=pseudonym_key,
        history=history,
        inbound=load_inbound_calls(database, period, tenant),
    )


def load_corrections(database: Database, tenant: str | None) -> dict[uuid.UUID, LabelCorrection]:
    """The newest operator correction of each corrected comment (the operator page stores them)."""
    query = select(LabelCorrection).order_by(col(LabelCorrection.corrected_at), col(LabelCorrection.id))
    if tenant is not None:
        query = query.where(col(LabelCorrection.tenant) == tenant)
    with Session(database.engine, expire_on_commit=False) as session:
        return {row.comment_id: row for row in session.scalars(query)}


def with_corrections(
    records: list[ResponseRecord], corrections: Mapping[uuid.UUID, LabelCorrection]
) -> list[ResponseRecord]:
    """The records with each corrected comment's labels replaced by its newest correction."""
    if not corrections:
        return records
    return [
        replace(record, comments=tuple(_corrected(c, corrections.get(c.id)) for c in record.comments))
        if any(c.id in corrections for c in record.comments)
        else record
        for record in records
    ]


def _corrected(comment: Comment, correction: LabelCorrection | None) -> Comment:
    if correction is None:
        return comment
    update = {
        "sentiment": correction.sentiment,
        "areas": list(correction.by_area),
        "by_area": correction.by_area,
    }
    return comment.model_copy(update=update)


def load_callbacks(database: Database, period: Period, tenant: str | None) -> list[CallbackRecord]:
    query = select(CallbackRecord)
    return _rows(database, _within(query, CallbackRecord.tenant, CallbackRecord.requested_at, tenant, period))


def load_inbound_calls(database: Database, period: Period, tenant: str | None) -> list[InboundCall]:
    """The period's calls through `/inbound` (by when they arrived); rows without a municipality are not."""
    query = select(InboundCall).where(col(InboundCall.tenant).is_not(None))
    return _rows(database, _within(query, InboundCall.tenant, InboundCall.arrived_at, tenant, period))


def _within(
    query: Select[T], tenant_column: Any, time_column: Any, tenant: str | None, period: Period
) -> Select[T]:
    """Rows of one municipality (or all) whose time lies in the period."""
    if tenant is not None:
        query = query.where(col(tenant_column) == tenant)
    if period.since is not None:
        query = query.where(col(time_column) >= period.since)
    if period.until is not None:
        query = query.where(col(time_column) < period.until)
    return query


def _rows(database: Database, query: Select[T]) -> list[T]:
    with Session(database.engine) as session:
        return list(session.scalars(query))


def tenants_in_store(database: Database) -> list[str]:
    with Session(database.engine) as session:
        return sorted(session.scalars(select(col(SurveyResponse.tenant)).distinct()))
