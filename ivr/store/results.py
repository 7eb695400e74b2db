"""The read side: survey responses with their answers and comments, for the CLI, the report and the demo."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import ColumnElement, Select, select
from sqlmodel import Session, col

from ivr.store.database import Database
from ivr.store.export import write_csv, write_jsonl
from ivr.store.records import ResponseRecord
from ivr.store.stats import DialogStats, compute_dialog_stats
from ivr.store.tables import Call, Comment, SurveyAnswer, SurveyResponse


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name}={moment.isoformat()} has no timezone; pass e.g. datetime(..., tzinfo=UTC)")


def _response_filters(
    tenant: str | None, since: datetime | None, until: datetime | None, dialog_id: str | None
) -> list[ColumnElement[bool]]:
    """Filters on responses; `since` is inclusive and `until` exclusive, both on started_at."""
    _require_aware("since", since)
    _require_aware("until", until)
    filters: list[ColumnElement[bool]] = []
    if tenant is not None:
        filters.append(col(SurveyResponse.tenant) == tenant)
    if dialog_id is not None:
        filters.append(col(SurveyResponse.dialog_id) == dialog_id)
    if since is not None:
        filters.append(col(SurveyResponse.started_at) >= since)
    if until is not None:
        filters.append(col(SurveyResponse.started_at) < until)
    return filters


class ResultsRepository:
    """Queries on the survey tables (synchronous; run it in a thread from async code)."""

    def __init__(self, database: Database | str) -> None:
        self._owns_database = isinstance(database, str)
        self.database = Database(database) if isinstance(database, str) else database

    def close(self) -> None:
        """Release the connections of a database this repository opened from a URL."""
        if self._owns_database:
            self.database.dispose()

    def responses(
        self,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        dialog_id: str | None = None,
    ) -> list[ResponseRecord]:
        """Responses oldest first, each with its call, answers (by position) and comments (by time)."""
        filters = _response_filters(tenant, since, until, dialog_id)
        chosen_ids = select(col(SurveyResponse.id)).where(*filters)
        with Session(self.database.engine, expire_on_commit=False) as session:
            rows = session.execute(
                select(SurveyResponse, Call)
                .join(Call, col(Call.id) == col(SurveyResponse.call_id))
                .where(*filters)
                .order_by(col(SurveyResponse.started_at), col(SurveyResponse.id))
            ).all()
            answers = _by_response(
                session,
                select(SurveyAnswer)
                .where(col(SurveyAnswer.response_id).in_(chosen_ids))
                .order_by(col(SurveyAnswer.position), col(SurveyAnswer.answered_at)),
            )
            comments = _by_response(
                session,
                select(Comment)
                .where(col(Comment.response_id).in_(chosen_ids))
                .order_by(col(Comment.recorded_at), col(Comment.id)),
            )
        return [
            ResponseRecord(
                response=response,
                call=call,
                answers=tuple(answers.get(response.id, ())),
                comments=tuple(comments.get(response.id, ())),
            )
            for response, call in rows
        ]

    def export_jsonl(
        self,
        fp: TextIO,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        dialog_id: str | None = None,
    ) -> int:
        """One JSON object per response (its call, all answers and comments); returns the number written."""
        return write_jsonl(fp, self.responses(tenant, since, until, dialog_id))

    def export_csv(
        self,
        fp: TextIO,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        dialog_id: str | None = None,
    ) -> int:
        """One row per response, one column per question; returns the number of rows written."""
        return write_csv(fp, self.responses(tenant, since, until, dialog_id))

    def question_stats(
        self,
        tenant: str | None,
        dialog_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        scales: Mapping[str, tuple[int, int]] | None = None,
    ) -> DialogStats:
        """Per question counts, value distribution, mean score and 0–100 index; plus the completion rate.

        `scales` gives (min, max) of scale questions by id; scale questions not named are taken as 1–5.
        """
        records = self.responses(tenant, since, until, dialog_id)
        return compute_dialog_stats(tenant, dialog_id, records, scales)


def _by_response(session: Session, query: Select[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for item in session.scalars(query):
        grouped[item.response_id].append(item)
    return grouped
