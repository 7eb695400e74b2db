"""Survey responses as JSON lines (all of it, nested) or CSV (a row per response, a column per question)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from ivr.store.records import ResponseRecord
from ivr.store.tables import Comment

RESPONSE_COLUMNS = (
    "response_id",
    "call_id",
    "uniqueid",
    "tenant",
    "language",
    "queue",
    "agent",
    "dialog_id",
    "dialog_version",
    "purpose",
    "direction",
    "status",
    "started_at",
    "ended_at",
)
COMMENT_FIELDS = ("recording_path", "duration_s", "transcript", "sentiment")


def response_document(record: ResponseRecord) -> dict[str, Any]:
    """The JSON form of one response: its own fields, its call, its answers and its comments."""
    response = record.response.model_dump(mode="json")
    response["response_id"] = response.pop("id")
    return {
        **response,
        "call": record.call.model_dump(mode="json", exclude={"id", "tenant"}),
        "answers": [
            answer.model_dump(mode="json", exclude={"id", "response_id"}) for answer in record.answers
        ],
        "comments": [comment.model_dump(mode="json", exclude={"response_id"}) for comment in record.comments],
    }


def write_jsonl(fp: TextIO, records: Sequence[ResponseRecord]) -> int:
    for record in records:
        fp.write(json.dumps(response_document(record), ensure_ascii=False) + "\n")
    return len(records)


def _question_columns(records: Sequence[ResponseRecord]) -> list[str]:
    """Question ids in the order asked (earliest position first)."""
    first_position: dict[str, int] = {}
    for record in records:
        for answer in record.answers:
            known = first_position.get(answer.question_id)
            first_position[answer.question_id] = (
                answer.position if known is None else min(known, answer.position)
            )
    return sorted(first_position, key=lambda qid: (first_position[qid], qid))


def _comment_questions(records: Sequence[ResponseRecord]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for comment in record.comments:
            seen.setdefault(comment.question_id, None)
    return list(seen)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _answer_header(question_id: str) -> str:
    # A question named like a fixed column ("status") must not shadow it.
    return f"{question_id}.value" if question_id in RESPONSE_COLUMNS else question_id


def _fixed_cells(record: ResponseRecord) -> list[str]:
    response, call = record.response, record.call
    values: dict[str, object] = {
        **response.model_dump(),
        "response_id": response.id,
        "uniqueid": call.uniqueid,
        "language": call.language,
    }
    return [_cell(values[name]) for name in RESPONSE_COLUMNS]


def _comment_cells(record: ResponseRecord, question_ids: list[str]) -> list[str]:
    cells: list[str] = []
    for question_id in question_ids:
        comment: Comment | None = next((c for c in record.comments if c.question_id == question_id), None)
        cells += [_cell(getattr(comment, name) if comment else None) for name in COMMENT_FIELDS]
    return cells


def write_csv(fp: TextIO, records: Sequence[ResponseRecord]) -> int:
    """Columns: the response's fields, each question's value, then per comment question `<id>.recording_path`,
    `<id>.duration_s`, `<id>.transcript` and `<id>.sentiment`. Unanswered cells are empty."""
    questions = _question_columns(records)
    comment_questions = _comment_questions(records)
    writer = csv.writer(fp)
    writer.writerow(
        [
            *RESPONSE_COLUMNS,
            *(_answer_header(qid) for qid in questions),
            *(f"{qid}.{name}" for qid in comment_questions for name in COMMENT_FIELDS),
        ]
    )
    for record in records:
        values = {answer.question_id: answer.value for answer in record.answers}
        writer.writerow(
            [
                *_fixed_cells(record),
                *(_cell(values.get(qid)) for qid in questions),
                *_comment_cells(record, comment_questions),
            ]
        )
    return len(records)
