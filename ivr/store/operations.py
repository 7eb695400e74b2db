"""The writer's typed operations, how they serialize (the spool's JSON lines) and how a batch is applied.

Every operation is idempotent: rows are upserted by id (answers by (response_id, question_id)), and the end
of a call or response is a plain update, so a batch that is applied twice (a retry after a lost commit reply,
or a spool replayed after a crash) leaves the same rows.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from sqlalchemy import Connection, Engine, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable

from ivr.dialog.io import AnswerStatus, InputMode, RecordingEnd
from ivr.store.tables import Call, Comment, InboundCall, SurveyAnswer, SurveyResponse

Direction = Literal["inbound", "outbound"]
EndStatus = Literal["completed", "partial", "ended"]
InboundResult = Literal["queue", "callback", "closed", "hangup"]
QueueOutcome = Literal["answered", "abandoned"]


class _Operation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def row(self) -> dict[str, Any]:
        return self.model_dump(exclude={"kind"})


class CallStarted(_Operation):
    kind: Literal["call_started"] = "call_started"
    id: uuid.UUID
    uniqueid: str
    tenant: str
    script: str
    channel: str
    caller_ref: str | None
    language: str
    started_at: AwareDatetime


class CallEnded(_Operation):
    kind: Literal["call_ended"] = "call_ended"
    id: uuid.UUID
    outcome: str | None
    ended_at: AwareDatetime


class ResponseStarted(_Operation):
    kind: Literal["response_started"] = "response_started"
    id: uuid.UUID
    call_id: uuid.UUID
    tenant: str
    dialog_id: str
    dialog_version: str
    purpose: str
    queue: str | None
    agent: str | None
    direction: Direction
    started_at: AwareDatetime


class ResponseEnded(_Operation):
    kind: Literal["response_ended"] = "response_ended"
    id: uuid.UUID
    status: EndStatus
    ended_at: AwareDatetime


class AnswerGiven(_Operation):
    kind: Literal["answer_given"] = "answer_given"
    id: uuid.UUID
    response_id: uuid.UUID
    question_id: str
    question_type: str
    position: int = Field(ge=0)
    status: AnswerStatus
    mode: InputMode
    utterance: str
    value: str | None
    score: int | None
    confidence: float
    attempts: int = Field(ge=0)
    answered_at: AwareDatetime

    @field_validator("confidence")
    @classmethod
    def _clamp_confidence(cls, confidence: float) -> float:
        # Recognisers differ; a stray NaN or 1.02 must not cost the answer.
        return 0.0 if math.isnan(confidence) else min(1.0, max(0.0, confidence))


class CommentRecorded(_Operation):
    kind: Literal["comment_recorded"] = "comment_recorded"
    id: uuid.UUID
    response_id: uuid.UUID
    question_id: str
    recording_path: str
    duration_s: float
    ended_by: RecordingEnd
    recorded_at: AwareDatetime

    @field_validator("duration_s")
    @classmethod
    def _finite_duration(cls, duration_s: float) -> float:
        # The recording is what matters; an odd duration must not cost it.
        return duration_s if math.isfinite(duration_s) and duration_s >= 0 else 0.0


class InboundCallRecorded(_Operation):
    """What `/inbound` told and offered one caller; upserted by uniqueid, leaving the queue's side alone."""

    kind: Literal["inbound_call"] = "inbound_call"
    uniqueid: str = Field(min_length=1)
    tenant: str
    queue: str
    arrived_at: AwareDatetime
    position: int | None = Field(default=None, ge=1)
    announced_wait_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    offered_callback: bool
    callback_accepted: bool
    result: InboundResult


class QueueWaitMeasured(_Operation):
    """How a caller left the queue (answered or abandoned) after how long; upserted by uniqueid, setting only
    these columns, so it may come before or after the app's row."""

    kind: Literal["queue_wait_measured"] = "queue_wait_measured"
    uniqueid: str = Field(min_length=1)
    queue: str
    outcome: QueueOutcome
    actual_wait_s: float = Field(ge=0, allow_inf_nan=False)
    ended_at: AwareDatetime


Operation = Annotated[
    CallStarted
    | CallEnded
    | ResponseStarted
    | ResponseEnded
    | AnswerGiven
    | CommentRecorded
    | InboundCallRecorded
    | QueueWaitMeasured,
    Field(discriminator="kind"),
]
_operation_adapter: TypeAdapter[Operation] = TypeAdapter(Operation)


def operation_to_json(operation: Operation) -> str:
    return operation.model_dump_json()


def operation_from_json(line: str) -> Operation:
    """Parse one spool line; raises pydantic.ValidationError (a ValueError) for a damaged line."""
    return _operation_adapter.validate_json(line)


def operation_ref(operation: Operation) -> str:
    """What names the row an operation writes, for log lines."""
    if isinstance(operation, InboundCallRecorded | QueueWaitMeasured):
        return operation.uniqueid
    return str(operation.id)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _upsert(
    dialect: str, table: Table, columns: Sequence[str], key: Sequence[str], keep: Sequence[str]
) -> Executable:
    """INSERT ... ON CONFLICT (key) DO UPDATE of every column but the key and `keep`."""
    replaced = [name for name in columns if name not in key and name not in keep]
    if dialect == "postgresql":
        pg_statement = postgresql.insert(table)
        return pg_statement.on_conflict_do_update(
            index_elements=list(key), set_={name: pg_statement.excluded[name] for name in replaced}
        )
    if dialect == "sqlite":
        lite_statement = sqlite.insert(table)
        return lite_statement.on_conflict_do_update(
            index_elements=list(key), set_={name: lite_statement.excluded[name] for name in replaced}
        )
    raise ValueError(f"unsupported database dialect {dialect!r}")


def _update_by_id(table: Table, columns: Sequence[str]) -> Executable:
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns})
    )


@cache
def _statement(kind: str, dialect: str) -> Executable:
    if kind == "call_started":
        return _upsert(dialect, _table(Call), list(CallStarted.model_fields)[1:], ["id"], [])
    if kind == "response_started":
        columns = [*list(ResponseStarted.model_fields)[1:], "status"]
        # A replayed start must not reopen a response that has ended since.
        return _upsert(dialect, _table(SurveyResponse), columns, ["id"], ["status"])
    if kind == "answer_given":
        key = ["response_id", "question_id"]
        return _upsert(dialect, _table(SurveyAnswer), list(AnswerGiven.model_fields)[1:], key, ["id"])
    if kind == "comment_recorded":
        return _upsert(dialect, _table(Comment), list(CommentRecorded.model_fields)[1:], ["id"], [])
    if kind == "inbound_call":
        keep = ["actual_wait_s", "outcome", "ended_at"]
        return _upsert(
            dialect, _table(InboundCall), list(InboundCallRecorded.model_fields)[1:], ["uniqueid"], keep
        )
    if kind == "queue_wait_measured":
        # The queue's name stays as the app recorded it; it is only set when this row is the first.
        columns = list(QueueWaitMeasured.model_fields)[1:]
        return _upsert(dialect, _table(InboundCall), columns, ["uniqueid"], ["queue"])
    if kind == "call_ended":
        return _update_by_id(_table(Call), ["outcome", "ended_at"])
    if kind == "response_ended":
        return _update_by_id(_table(SurveyResponse), ["status", "ended_at"])
    raise ValueError(f"unknown operation kind {kind!r}")


def _parameters(operation: Operation) -> dict[str, Any]:
    row = operation.row()
    if isinstance(operation, ResponseStarted):
        row["status"] = "in_progress"
    if isinstance(operation, CallEnded | ResponseEnded):
        return {f"b_{name}": value for name, value in row.items()}
    return row


def _key(operation: Operation) -> object:
    if isinstance(operation, AnswerGiven):
        return (operation.response_id, operation.question_id)
    if isinstance(operation, InboundCallRecorded | QueueWaitMeasured):
        return operation.uniqueid
    return operation.id


def _groups(operations: Sequence[Operation]) -> Iterator[list[Operation]]:
    """Runs of one kind with distinct keys, in order: each run becomes one executemany."""
    group: list[Operation] = []
    keys: set[object] = set()
    for operation in operations:
        if group and (operation.kind != group[0].kind or _key(operation) in keys):
            yield group
            group, keys = [], set()
        group.append(operation)
        keys.add(_key(operation))
    if group:
        yield group


# Within one transaction, parents before children and starts before ends is all the order that matters;
# a stable sort by kind keeps each kind's own order and lets a whole batch share a few executemany calls.
_APPLY_ORDER = {
    "call_started": 0,
    "response_started": 1,
    "answer_given": 2,
    "comment_recorded": 2,
    "response_ended": 3,
    "call_ended": 4,
    "inbound_call": 5,
    "queue_wait_measured": 6,
}


def apply_operations(connection: Connection, operations: Sequence[Operation]) -> None:
    """Apply the operations on `connection` (inside the caller's transaction)."""
    dialect = connection.dialect.name
    for group in _groups(sorted(operations, key=lambda operation: _APPLY_ORDER[operation.kind])):
        statement = _statement(group[0].kind, dialect)
        connection.execute(statement, [_parameters(operation) for operation in group])


def apply_batch(engine: Engine, operations: Sequence[Operation]) -> None:
    """Apply the operations in one transaction: all of them are committed, or none."""
    with engine.begin() as connection:
        apply_operations(connection, operations)
